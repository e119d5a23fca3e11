from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from accounts.api.views import CanEditAccount
from accounts.models import Account
from core.api import IdFilter, TenantQuerysetMixin, UpdatedSinceFilter, as_api_error
from tenancy.models import OrganizationAPIKey

from .. import services
from ..models import Playbook, PlaybookRun, PlaybookTask
from .serializers import PlaybookSerializer, RunSerializer, RunStartSerializer, TaskSerializer


class PlaybookViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The playbook library. Managers edit it in the browser."""

    serializer_class = PlaybookSerializer
    queryset_model = Playbook
    ordering = ["id"]

    def safely_get_queryset(self):
        return Playbook.objects.prefetch_related("steps").order_by("id")


class RunFilter(filters.FilterSet):
    # Declared, not derived: deriving a relation filter queries a scoped table.
    account = IdFilter(field_name="account_id")
    playbook = IdFilter(field_name="playbook_id")
    status = filters.ChoiceFilter(choices=PlaybookRun.Status.choices)
    updated_since = UpdatedSinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = PlaybookRun
        fields = ["account", "playbook", "status", "updated_since"]


class RunViewSet(
    TenantQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Playbook runs: started by migrations into a cell, or by hand (POST)."""

    serializer_class = RunSerializer
    queryset_model = PlaybookRun
    filterset_class = RunFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return PlaybookRun.objects.prefetch_related("tasks__assignee")

    @extend_schema(request=RunStartSerializer, responses={201: RunSerializer})
    def create(self, request, *args, **kwargs):
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        errors = {}
        playbook = Playbook.objects.filter(
            pk=data.validated_data["playbook"], is_active=True
        ).first()
        account = Account.objects.filter(pk=data.validated_data["account"]).first()
        if playbook is None:
            errors["playbook"] = ["No active playbook with this id."]
        if account is None:
            errors["account"] = ["No account with this id."]
        if errors:
            raise exceptions.ValidationError(errors, code="does_not_exist")
        if not CanEditAccount().has_object_permission(request, self, account):
            self.permission_denied(request, message=CanEditAccount.message)
        try:
            run = services.run_start(
                playbook=playbook,
                account=account,
                by=request.user if request.user.is_authenticated else None,
            )
        except DjangoValidationError as error:
            raise as_api_error(error) from error
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class TaskFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    run = IdFilter(field_name="run_id")
    playbook = IdFilter(field_name="run__playbook_id")
    assignee = IdFilter(field_name="assignee_id")
    status = filters.ChoiceFilter(choices=PlaybookTask.Status.choices)
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    updated_since = UpdatedSinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = PlaybookTask
        fields = ["account", "run", "playbook", "assignee", "status", "updated_since"]


class TaskViewSet(
    TenantQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Playbook tasks. PATCH status (done, skipped, open) and note to mirror a CRM's task;
    a skip needs a note. A CSM may work only the tasks assigned to them."""

    serializer_class = TaskSerializer
    queryset_model = PlaybookTask
    filterset_class = TaskFilter
    ordering = ["-id"]
    http_method_names = ["get", "patch", "head", "options"]

    def safely_get_queryset(self):
        return PlaybookTask.objects.select_related("run", "assignee")

    def perform_update(self, serializer):
        task = serializer.instance
        key = self.request.auth if isinstance(self.request.auth, OrganizationAPIKey) else None
        try:
            serializer.instance = services.task_close(
                task=task,
                status=serializer.validated_data.get("status", task.status),
                note=serializer.validated_data.get("note", ""),
                by=None if key else self.request.user,
                via=f"api key “{key.name}”" if key else "api",
                membership=None if key else self.request._request.membership,
            )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise as_api_error(error) from error
