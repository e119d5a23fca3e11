from rest_framework import permissions

from tenancy.models import OrganizationAPIKey


class IsOrganizationMember(permissions.BasePermission):
    """An API key, or a signed-in member of the active organization; viewers only read.

    Object-level checks are not needed for isolation: querysets are tenant-scoped, so another
    organization's objects are simply not found (404).
    """

    message = "Your role in this organization does not allow this."

    def has_permission(self, request, view):
        if isinstance(request.auth, OrganizationAPIKey):
            return True
        membership = getattr(request._request, "membership", None)
        if membership is None:
            return False
        return request.method in permissions.SAFE_METHODS or membership.can_write


class CanManage(IsOrganizationMember):
    """Writes reserved to owners, managers and API keys."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS or isinstance(
            request.auth, OrganizationAPIKey
        ):
            return True
        return request._request.membership.can_manage
