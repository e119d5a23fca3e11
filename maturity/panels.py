"""What the account page shows of maturity."""

from . import charts
from .forms import SurveyLinkEmailForm, SurveyLinkForm
from .selectors import account_maturity
from .surveys import survey_link_url


def maturity_panel(account, membership) -> dict:
    maturity = account_maturity(account)
    context = {
        "maturity": maturity,
        "link_urls": {link.pk: survey_link_url(link) for link in maturity.links},
        "link_form": SurveyLinkForm(),
        "link_email_form": SurveyLinkEmailForm(),
    }
    latest, previous = maturity.latest, maturity.previous
    version = maturity.primary.current_version if maturity.primary else None
    if latest and version:
        names = {p.key: p.name for p in version.pillars.all()}
        customer = None
        if any(g.customer is not None for g in maturity.gaps):
            customer = {g.key: g.customer for g in maturity.gaps}
        context["charts"] = {
            "cmi-history": charts.cmi_history(maturity.history, names),
            "pillar-radar": charts.pillar_radar(names, latest.pillar_scores, customer),
        }
        context["cmi_change"] = (
            latest.cmi - previous.cmi
            if previous is not None and latest.cmi is not None and previous.cmi is not None
            else None
        )
    return context
