from django.http import JsonResponse

from tenancy.permissions import member_required

from .services import recompute_progress


@member_required()
def status(request):
    """The tenant's tenant-wide recompute, as the framework and scorecard pages poll it."""
    state = recompute_progress(request.organization.pk) or {"finished": True}
    return JsonResponse({"done": 0, "total": 0, "status": "running", **state})
