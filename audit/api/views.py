"""The audit trail for integrations (a SIEM, a compliance archive): read only."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from core.api import CursorPagination
from core.audit import ACTOR_KINDS
from tenancy.api.permissions import IsOrganizationMember
from tenancy.models import OrganizationAPIKey

from ..selectors import ACTIONS, AuditFilter, audit_events, entry_of, object_kinds


class ManagersOrKey(IsOrganizationMember):
    """API keys, owners and managers: the audit trail names people and what they did."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if isinstance(request.auth, OrganizationAPIKey):
            return True
        return request._request.membership.can_manage


class AuditQuery(serializers.Serializer):
    actor = serializers.ChoiceField(
        choices=list(ACTOR_KINDS),
        required=False,
        allow_blank=True,
        help_text="Only changes made by this kind of actor; `system` is a change made outside "
        "any request or task (a migration, an operator's command).",
    )
    actor_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Only changes made by this actor: a person's member user id, an API key's "
        "prefix, a SCIM token's id or a task's name.",
    )
    object_type = serializers.ChoiceField(
        choices=list(object_kinds()),
        required=False,
        allow_blank=True,
        help_text="Only changes to this kind of object.",
    )
    object_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Only changes to the object with this id.",
    )
    action = serializers.ChoiceField(
        choices=list(ACTIONS),
        required=False,
        allow_blank=True,
        help_text="Only creations, changes or deletions.",
    )
    since = serializers.DateField(required=False, help_text="Changes on or after this day.")
    until = serializers.DateField(required=False, help_text="Changes on or before this day.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            # Schema-valid, but contradicting itself: no schema can say so (409, core.api).
            raise ValidationError({"until": [ErrorDetail("On or after since.", code="conflict")]})
        return attrs


class ActorOut(serializers.Serializer):
    kind = serializers.ChoiceField(source="actor", choices=list(ACTOR_KINDS))
    id = serializers.CharField(
        source="actor_id", help_text="The user id, API key prefix or task name; or ''."
    )
    label = serializers.CharField(  # type: ignore[assignment]  # DRF pops declared fields
        source="actor_label", help_text="The person's email, the key's name, the task."
    )


class ChangeOut(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name as the app shows it.")
    # Any JSON value, null included (no `nullable`: OpenAPI 3.0 ties it to a `type`).
    before = serializers.JSONField(help_text="Null on a creation.")
    after = serializers.JSONField(help_text="Null on a deletion.")


class AuditEventOut(serializers.Serializer):
    id = serializers.CharField(help_text="Stable and unique across the trail.")
    occurred_at = serializers.DateTimeField(source="at")
    action = serializers.ChoiceField(choices=list(ACTIONS))
    object_type = serializers.CharField(help_text="The kind of object, e.g. `accounts.Account`.")
    object_id = serializers.CharField()
    object_label = serializers.CharField(help_text="Its name, title, email or URL at the time.")
    actor = ActorOut(source="*")
    request_id = serializers.CharField(
        help_text="The X-Request-ID of the request that made the change, or ''."
    )
    changes = ChangeOut(
        many=True,
        help_text="The fields that changed, with their values before and after: every field "
        "on a creation (before null) or a deletion (after null).",
    )


class AuditPagination(CursorPagination):
    ordering = ("-pgh_created_at", "-pgh_id")  # type: ignore[assignment]  # DRF takes a tuple


class AuditEventsView(generics.ListAPIView):
    serializer_class = AuditEventOut
    permission_classes = [ManagersOrKey]
    pagination_class = AuditPagination
    filter_backends: list = []

    @extend_schema(
        summary="List the audit trail",
        description="Every recorded change to the organization's configuration and data, "
        "newest first: members and roles, API keys, frameworks and scorecards, grid "
        "settings, overrides, playbooks, accounts, imports, outcomes and webhook endpoints, "
        "each with its actor and the values before and after. Recorded by the database, bulk "
        "changes included; entries cannot be changed or deleted and are kept for the "
        "organization's retention period (400 days unless configured).",
        parameters=[AuditQuery],
        responses={
            200: AuditEventOut(many=True),
            409: OpenApiResponse(description="`until` is before `since`."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return audit_events(AuditFilter(object_type="-"))
        query = AuditQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_events(AuditFilter(**query.validated_data))

    def get_serializer(self, *args, **kwargs):
        if args:
            kinds = object_kinds()
            events = args[0]
            args = ([entry_of(event, kinds) for event in events], *args[1:])
        return super().get_serializer(*args, **kwargs)
