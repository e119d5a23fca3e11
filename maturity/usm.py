"""USM value maturity: does a provider fit a customer? (seeds 002 and 003)

A provider fits a customer at the same level or one level above; a larger gap fails either way.
"""

from dataclasses import dataclass

LEVELS = {
    1: "Technology-driven",
    2: "System-driven",
    3: "Service-driven",
    4: "Customer-driven",
    5: "Business-driven",
}


@dataclass(frozen=True)
class Fit:
    kind: str  # balanced | provider_ahead | customer_ahead
    label: str
    advice: str
    offer_level: int  # pitch offers at this level


def usm_fit(*, provider_level: int, customer_level: int) -> Fit:
    gap = provider_level - customer_level
    offer = min(customer_level + 1, max(LEVELS))
    if gap in (0, 1):
        advice = "You speak the customer's language. " + (
            "Being one level above, you can also sketch the next step: “we can help you now, "
            "and help you make the next step in your development”."
            if gap == 1
            else "Offer what they ask for now, and pitch the next level as their next step."
        )
        return Fit("balanced", "Balanced", advice, offer)
    if gap >= 2:
        return Fit(
            "provider_ahead",
            "Provider too far ahead",
            f"A level-{provider_level} offer will not land with a level-{customer_level} customer: "
            "the mismatch in thinking is too big. Pitch at "
            f"{LEVELS[offer].lower()} (level {offer}) and invest in the customer's maturity.",
            offer,
        )
    return Fit(
        "customer_ahead",
        "Customer ahead",
        f"A level-{customer_level} customer will set a level-{provider_level} offer aside "
        "(“they are still shoving boxes”). Raise your own maturity, or expect to lose them.",
        offer,
    )
