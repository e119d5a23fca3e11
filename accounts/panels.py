"""The account page's panels, from the apps that own them.

Each app registers its panel in its AppConfig.ready: a template to include and the dotted path
of a function (account, membership) → that template's context, whose "charts" entry (element
id → plotly JSON) joins the page's charts. So the page is composed here without accounts
importing the apps above it.
"""

from dataclasses import dataclass
from functools import cache

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Panel:
    template: str
    context: str
    position: int  # top to bottom


_panels: list[Panel] = []


def panel_register(*, template: str, context: str, position: int) -> None:
    if all(p.template != template for p in _panels):
        _panels.append(Panel(template, context, position))
        _functions.cache_clear()


@cache
def _functions():
    ordered = sorted(_panels, key=lambda panel: panel.position)
    return [(panel.template, import_string(panel.context)) for panel in ordered]


def panels_context(account, membership) -> dict:
    """The registered panels' templates (`panels`, in order), their merged context and their
    charts."""
    context: dict = {"panels": [], "charts": {}}
    for template, function in _functions():
        part = function(account, membership)
        context["charts"] |= part.pop("charts", {})
        context |= part
        context["panels"].append(template)
    return context
