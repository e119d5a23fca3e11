from django.utils.functional import SimpleLazyObject

from .selectors import saved_views_for


def saved_views(request):
    """The signed-in member's saved account views, for the navigation bar."""
    if getattr(request, "membership", None) is None:
        return {}
    return {"saved_views": SimpleLazyObject(lambda: saved_views_for(request.user))}
