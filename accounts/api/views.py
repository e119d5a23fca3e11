from rest_framework import permissions, viewsets

from tenancy.models import OrganizationAPIKey

from .. import selectors, services
from ..filters import AccountFilter
from ..models import Account
from ..permissions import can_edit_account
from .serializers import AccountSerializer


class CanEditAccount(permissions.BasePermission):
    """Managers and API keys change any account; a CSM only their own."""

    message = "Only the account's CSM or a manager can change it."

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(request.auth, OrganizationAPIKey):
            return True
        return can_edit_account(request._request.membership, obj)


class AccountViewSet(viewsets.ModelViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["id", "name", "arr", "renewal_date", "updated_at"]
    ordering = ["-id"]
    permission_classes = [*viewsets.ModelViewSet.permission_classes, CanEditAccount]

    def get_queryset(self):
        return selectors.account_list()

    def perform_create(self, serializer):
        serializer.instance = services.account_create(
            organization=self.request.organization, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.account_update(
            account=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Account):
        services.account_delete(account=instance)
