import django_filters
from django.db import models
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.response import Response

from core.api import (
    PARTIAL_BULK,
    TenantQuerysetMixin,
    UpdatedSinceFilter,
    ValuesListMixin,
    all_or_nothing,
    bulk_limit,
    item_result,
    non_blank_pattern,
    refuse_malformed,
)
from tenancy.api.feed import FEED_PARAMETERS, feed_query

from .. import selectors, services
from ..filters import AccountFilter
from ..models import Account, AccountDeletion
from ..permissions import acting_membership, can_delete_account, can_edit_account
from .serializers import (
    AccountBulkItem,
    AccountByExternalIdSerializer,
    AccountChangesOut,
    AccountDeletionSerializer,
    AccountSerializer,
    CsmField,
)

MAX_BULK = bulk_limit("/api/v1/accounts/bulk/", "post", most=1000)
PARTIAL_BULK.add(("/api/v1/accounts/bulk/", "post"))


# The path's CRM id becomes the body's external_id: the same rules.
EXTERNAL_ID_PARAMETER = OpenApiParameter(
    "external_id",
    {
        "type": "string",
        "maxLength": Account._meta.get_field("external_id").max_length,
        "pattern": non_blank_pattern(),
    },
    OpenApiParameter.PATH,
    description="The account's id in the CRM (a slash in it sent as %2F).",
)


def replacement(serializer_class, body: dict) -> dict:
    """A PUT's body made whole: every writable field it leaves out, at its model default
    (as the serializer would show it), so that PUT replaces and PATCH alone merges. The CRM
    id is kept: it is what the CRM finds the account by."""
    whole = dict(body)
    for name, field in serializer_class().fields.items():
        if field.read_only or name in whole or name == "external_id":
            continue
        model_field = Account._meta.get_field(field.source)
        assert isinstance(model_field, models.Field)  # a column, not a reverse relation
        default = model_field.get_default()
        whole[name] = None if default is None else field.to_representation(default)
    return whole


class CanEditAccount(permissions.BasePermission):
    """Managers and API keys change any account; a CSM only their own; only a manager (or
    a key) deletes one."""

    message = "Only the account's CSM or a manager can change it."

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "DELETE":
            self.message = "Only a manager can delete an account."
            return can_delete_account(acting_membership(request))
        return can_edit_account(acting_membership(request), obj)


class AccountViewSet(TenantQuerysetMixin, ValuesListMixin, viewsets.ModelViewSet):
    queryset_model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["id", "name", "arr", "renewal_date", "updated_at"]
    ordering = ["-id"]
    permission_classes = [*viewsets.ModelViewSet.permission_classes, CanEditAccount]

    def safely_get_queryset(self):
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

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):  # PUT replaces: what the body leaves out is reset
            request._full_data = replacement(AccountSerializer, _dict(request.data))
        return super().update(request, *args, **kwargs)

    @extend_schema(
        summary="Accounts changed, in commit order",
        description="Every account whose fields or derived scores (CHS, CMI, level, tier, "
        "cell) changed after the cursor, once each, as it stands now. Poll with `since` set to "
        "the previous page's `next`: no change is missed or repeated, even one whose "
        "transaction commits late, so no overlap between polls is needed. Deletions are in "
        "/api/v1/account-deletions/.",
        parameters=FEED_PARAMETERS,
        responses={200: AccountChangesOut},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def changes(self, request):
        after, limit = feed_query(request)
        page, cursor, more = selectors.account_changes(after=after, limit=limit)
        return Response(AccountChangesOut({"results": page, "next": cursor, "more": more}).data)

    @extend_schema(
        methods=["GET"],
        summary="Get the account with this CRM id",
        parameters=[EXTERNAL_ID_PARAMETER],
        responses={200: AccountSerializer},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Create or replace the account with this CRM id",
        description="The path's CRM id becomes the account's `external_id`: 201 when the "
        "account is new, 200 when it existed. A replacement: a field the body leaves out "
        "takes its default (blank, no CSM, no renewal date, ARR 0), as PUT does everywhere; "
        "PATCH /api/v1/accounts/{id}/ changes some fields only.",
        request=AccountByExternalIdSerializer,
        parameters=[EXTERNAL_ID_PARAMETER],
        responses={
            200: AccountSerializer,
            201: AccountSerializer,
            400: OpenApiResponse(description="Messages per field."),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete the account with this CRM id",
        description="As DELETE /api/v1/accounts/{id}/: its tombstone joins "
        "/api/v1/account-deletions/ and `account.deleted` is sent.",
        parameters=[EXTERNAL_ID_PARAMETER],
        responses={204: None},
    )
    @action(
        detail=False,
        methods=["get", "put", "delete"],
        # `.+`: a CRM id may hold a slash (sent as %2F, which the server decodes)
        url_path=r"by-external-id/(?P<external_id>.+)",
    )
    def by_external_id(self, request, external_id=None):
        """Read, create or replace, or delete the account with this CRM id."""
        # The body's external_id is trimmed as every text field is: look it up so too.
        key = (external_id or "").strip()
        account = Account.objects.filter(external_id=key).first() if key else None
        if request.method != "PUT":
            if account is None:
                raise NotFound("No account has this CRM id.")
            self.check_object_permissions(request, account)
            if request.method == "DELETE":
                self.perform_destroy(account)
                return Response(status=status.HTTP_204_NO_CONTENT)
            return Response(AccountSerializer(account).data)
        if account is not None:
            self.check_object_permissions(request, account)
        serializer = AccountSerializer(
            account,
            data={
                **replacement(AccountSerializer, _dict(request.data)),
                "external_id": external_id,
            },
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        if account is None:
            self.perform_create(serializer)
        else:
            self.perform_update(serializer)
        return Response(
            AccountSerializer(serializer.instance).data,
            status=status.HTTP_201_CREATED if account is None else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Create or update up to 1,000 accounts by CRM id",
        description="Matched on `external_id`: new ids are created, known ones updated. All "
        "or nothing by default: one bad item and nothing is written, with every bad item's "
        "messages. With `all_or_nothing=false`, the good items are written (207).",
        request=AccountBulkItem(many=True),
        responses={
            200: inline_serializer(
                "AccountsUpserted",
                {
                    "created": drf_serializers.IntegerField(min_value=0),
                    "updated": drf_serializers.IntegerField(min_value=0),
                    "ids": drf_serializers.ListField(
                        child=drf_serializers.IntegerField(),
                        help_text="The accounts' ids, in the order of the request's items.",
                    ),
                },
            ),
            400: OpenApiResponse(
                description="Nothing was written: `errors` points at each bad item's fields "
                "(`/3/arr`)."
            ),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Upsert up to 1,000 accounts by external_id, all or nothing."""
        whole = all_or_nothing(request)
        items = request.data
        if not isinstance(items, list) or not items or len(items) > MAX_BULK:
            raise ValidationError(
                {"non_field_errors": [f"Send a JSON list of 1 to {MAX_BULK} accounts."]}
            )
        ids = [item.get("external_id") for item in items if isinstance(item, dict)]
        existing = {
            a.external_id: a
            for a in Account.objects.filter(
                external_id__in=[i for i in ids if isinstance(i, str) and "\x00" not in i]
            )
        }
        context = self.get_serializer_context()
        if any(isinstance(item, dict) and item.get("owner_csm") for item in items):
            context["csms"] = CsmField.preload()
        # One serializer validates every item in turn: building a ModelSerializer's fields
        # costs more than validating an item with them.
        child = AccountBulkItem(context=context)
        matched: list[Account | None] = []
        validated: list[dict | None] = []
        errors: list[dict] = []
        seen: set[str] = set()
        for item in items:
            account, data, problem = None, None, self._bulk_item_problem(item, seen)
            if problem is None:
                account = existing.get(item["external_id"])
                if account is not None and not CanEditAccount().has_object_permission(
                    request, self, account
                ):
                    refused = ErrorDetail("You cannot change this account.", "permission_denied")
                    problem = {"external_id": [refused]}
            if problem is None:
                child.instance, child.initial_data = account, item
                try:
                    data = child.run_validation(item)
                except ValidationError as error:
                    problem = error.detail
            matched.append(account)
            validated.append(data)
            errors.append(problem or {})
        if any(errors) and whole:
            raise ValidationError(errors)
        refuse_malformed(errors)
        good = [i for i, e in enumerate(errors) if not e]
        result = services.accounts_upsert(
            organization=request.organization,
            changes=[(matched[i], validated[i]) for i in good],
        )
        if whole:
            return Response(
                {"created": result.created, "updated": result.updated, "ids": result.ids}
            )
        ids = dict(zip(good, result.ids, strict=True))
        results = [
            item_result(
                i,
                errors[i],
                id=ids.get(i),
                # an item whose account existed before was an update
                written_status=200 if matched[i] is not None else 201,
            )
            for i in range(len(items))
        ]
        return Response(
            {"results": results, "written": len(good), "refused": len(items) - len(good)},
            status=207,
        )

    @staticmethod
    def _bulk_item_problem(item, seen: set[str]) -> dict | None:
        """What is wrong with an item before its fields are read: not an object, no
        external_id, or one given earlier in the request (a conflict)."""
        if not isinstance(item, dict):
            return {"non_field_errors": ["Each item is an object."]}
        external_id = item.get("external_id")
        if not isinstance(external_id, str) or not external_id:
            return {"external_id": ["Required for a bulk upsert."]}
        if external_id in seen:
            conflict = ErrorDetail("Appears more than once in this request.", "conflict")
            return {"external_id": [conflict]}
        seen.add(external_id)
        return None


def _dict(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return data


class DeletionFilter(django_filters.FilterSet):
    since = UpdatedSinceFilter(field_name="deleted_at", lookup_expr="gte")

    class Meta:
        model = AccountDeletion
        fields = ["since"]


@extend_schema_view(
    list=extend_schema(
        summary="List deleted accounts",
        description="A tombstone for every account deleted, newest first, with the ids it "
        "was known by. Poll with `since` (the moment of your previous poll) to mirror "
        "deletions.",
    )
)
class AccountDeletionViewSet(TenantQuerysetMixin, ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = AccountDeletion
    serializer_class = AccountDeletionSerializer
    filterset_class = DeletionFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return AccountDeletion.objects.all()
