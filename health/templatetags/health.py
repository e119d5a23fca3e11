from django import template

register = template.Library()


@register.filter
def score0(value):
    return "—" if value is None else f"{float(value):.0f}"


@register.filter
def signed0(value):
    return "—" if value is None else f"{float(value):+.0f}"


@register.filter
def measure_value(value):
    """Raw metric values as people write them: 52.4, 3, strong."""
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return value


@register.filter
def keys(mapping):
    return ", ".join(mapping) if mapping else ""


def _number(value) -> str:
    return "…" if value is None else measure_value(float(value))


@register.filter
def rule_summary(measure) -> str:
    """A measure's rule in words, for the read-only scorecard: what a value is worth."""
    rule, params = measure.get("rule"), measure.get("params") or {}
    if rule == "bands":
        return "; ".join(
            f"{_number(b.get('from'))} to {_number(b.get('to'))}: {_number(b.get('points'))} points"
            for b in params.get("bands", [])
        )
    if rule == "linear":
        return f"0 points at {_number(params.get('from'))}, 100 at {_number(params.get('to'))}"
    if rule == "categorical":
        return "; ".join(f"{k}: {_number(v)} points" for k, v in params.get("map", {}).items())
    if rule == "recency":
        return (
            f"full points within {params.get('full_days')} days, "
            f"none after {params.get('zero_days')}"
        )
    return str(rule)
