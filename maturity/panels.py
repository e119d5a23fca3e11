"""What the account page shows of maturity."""

from . import charts
from .forms import SurveyLinkForm
from .selectors import account_maturity


def maturity_panel(account, membership) -> dict:
    maturity = account_maturity(account)
    context = {"maturity": maturity, "link_form": SurveyLinkForm()}
    latest, previous = maturity.latest, maturity.previous
    if latest:
        names = {p.key: p.name for p in maturity.primary.current_version.pillars.all()}
        customer = None
        if any(g.customer is not None for g in maturity.gaps):
            customer = {g.key: g.customer for g in maturity.gaps}
        context["charts"] = {
            "cmi-history": charts.cmi_history(maturity.history, names),
            "pillar-radar": charts.pillar_radar(names, latest.pillar_scores, customer),
        }
        context["cmi_change"] = latest.cmi - previous.cmi if previous else None
    return context
