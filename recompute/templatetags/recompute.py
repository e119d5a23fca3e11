from django import template

from ..services import recompute_progress

register = template.Library()


@register.inclusion_tag("recompute/_progress.html", takes_context=True)
def recompute_progress_bar(context: template.Context) -> dict[str, bool]:
    """A progress bar that follows the tenant's tenant-wide recompute while one runs."""
    organization = getattr(context.get("request"), "organization", None)
    progress = recompute_progress(organization.pk) if organization else None
    return {"running": progress is not None and not progress["finished"]}
