from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account
from accounts.permissions import acting_membership, can_edit_account
from core.api import (
    PARTIAL_BULK,
    IdFilter,
    TenantQuerysetMixin,
    UpdatedSinceFilter,
    all_or_nothing,
    as_api_error,
    bulk_limit,
    item_result,
    refuse_malformed,
)
from tenancy.api.permissions import CanManage

from ..models import HealthOverride, HealthSnapshot, MetricValue, Scorecard
from ..provider import account_health_explain
from ..services import MAX_METRICS_PER_REQUEST, metrics_record, override_create, override_end
from ..validation import metrics_validate
from .serializers import (
    HealthOut,
    MetricIn,
    MetricValueOut,
    OverrideIn,
    OverrideOut,
    ScorecardOut,
    SnapshotOut,
)

bulk_limit("/api/v1/health-metrics/", "post", most=MAX_METRICS_PER_REQUEST)
PARTIAL_BULK.add(("/api/v1/health-metrics/", "post"))


class ScorecardViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Scorecard
    serializer_class = ScorecardOut
    ordering = ["id"]

    def safely_get_queryset(self):
        return Scorecard.objects.all()


class MetricValueFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    metric = filters.CharFilter()
    since = UpdatedSinceFilter(field_name="observed_at", lookup_expr="gte")

    class Meta:
        model = MetricValue
        fields = ["account", "metric", "since"]


class HealthMetricsView(TenantQuerysetMixin, generics.ListAPIView):
    queryset_model = MetricValue
    serializer_class = MetricValueOut
    filterset_class = MetricValueFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return MetricValue.objects.all()

    @extend_schema(
        summary="List stored health metric values",
        description="Every value stored, newest first: filter by `account`, `metric` and "
        "`since` (observed at or after a moment) to read back what was sent.",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        summary="Record health metric values",
        description="Up to the endpoint's limit of values in one request, each naming its "
        "account by `account` (id) or `external_id`. All or nothing by default; with "
        "`all_or_nothing=false` the good values are stored (207). The accounts' CHS is "
        "recomputed after the values are stored.",
        request=MetricIn,
        responses={
            201: inline_serializer(
                "MetricsRecorded", {"created": serializers.IntegerField(min_value=1)}
            ),
            400: OpenApiResponse(
                description="Nothing was stored: `errors` points at each bad item's fields "
                "(`/3/value`)."
            ),
        },
    )
    def post(self, request):
        whole = all_or_nothing(request)
        items = request.data
        if not isinstance(items, list) or not items:
            raise ValidationError({"non_field_errors": ["Send a non-empty JSON list of values."]})
        if len(items) > MAX_METRICS_PER_REQUEST:
            raise ValidationError(
                {"non_field_errors": [f"At most {MAX_METRICS_PER_REQUEST} values per request."]}
            )
        values, errors = metrics_validate(items)
        report = [{k: [v] for k, v in errors.get(i, {}).items()} for i in range(len(items))]
        if errors and whole:
            raise ValidationError(report)
        refuse_malformed(report)
        # The values are the valid items', in order.
        positions = [i for i in range(len(items)) if i not in errors]
        membership = acting_membership(request)
        accounts = Account.objects.in_bulk({value.account_id for value in values})
        refused = [not can_edit_account(membership, accounts[v.account_id]) for v in values]
        message = ErrorDetail(
            "Only the account's CSM or a manager can record its values.", "permission_denied"
        )
        for position, no in zip(positions, refused, strict=True):
            if no:
                report[position] = {"account": [message]}
        if any(refused) and whole:
            raise PermissionDenied(report)
        kept = [v for v, no in zip(values, refused, strict=True) if not no]
        if kept:
            metrics_record(
                organization=request.organization,
                values=kept,
                source=MetricValue.Source.API,
                by=None,
            )
        if whole:
            return Response({"created": len(kept)}, status=status.HTTP_201_CREATED)
        results = [item_result(i, report[i]) for i in range(len(items))]
        return Response(
            {"results": results, "written": len(kept), "refused": len(items) - len(kept)},
            status=207,
        )


class SnapshotFilter(filters.FilterSet):
    updated_since = UpdatedSinceFilter(field_name="taken_at", lookup_expr="gte")

    class Meta:
        model = HealthSnapshot
        fields = ["updated_since"]


class AccountHealthView(APIView):
    @extend_schema(
        summary="An account's health score with its breakdown",
        description="The CHS as it stands now (the override's score if one is active), the "
        "level, how much of the scorecard has data, and one entry per measure: its raw value, "
        "points, weight and contribution.",
        responses={
            200: HealthOut,
            404: OpenApiResponse(description="No such account, or no active scorecard."),
        },
    )
    def get(self, request, account_pk: int):
        account = get_object_or_404(Account, pk=account_pk)
        explanation = account_health_explain(account)
        if explanation is None:
            raise NotFound("This organization has no active scorecard.")
        return Response(HealthOut(explanation).data)


class AccountHealthHistoryView(TenantQuerysetMixin, generics.ListAPIView):
    serializer_class = SnapshotOut
    queryset_model = HealthSnapshot
    filterset_class = SnapshotFilter
    ordering = ["-taken_at"]

    @extend_schema(
        summary="An account's health history",
        description="The account's CHS snapshots, newest first; `updated_since` returns those "
        "taken at or after a moment.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def safely_get_queryset(self):
        account = get_object_or_404(Account, pk=self.kwargs["account_pk"])
        return HealthSnapshot.objects.filter(account=account)


class OverrideFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = HealthOverride
        fields = ["account"]


@extend_schema_view(
    create=extend_schema(
        summary="Override an account's health score",
        description="The score replaces the computed CHS until `expires_at` or a withdrawal; "
        "owners, managers and API keys only, as in the browser.",
        request=OverrideIn,
        responses={201: OverrideOut},
    )
)
class HealthOverrideViewSet(
    TenantQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset_model = HealthOverride
    serializer_class = OverrideOut
    filterset_class = OverrideFilter
    permission_classes = [CanManage]
    ordering = ["-id"]

    def safely_get_queryset(self):
        return HealthOverride.objects.select_related("created_by")

    def create(self, request, *args, **kwargs):
        asked = OverrideIn(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            override = override_create(
                by=request.user if request.user.is_authenticated else None,
                **asked.validated_data,
            )
        except DjangoValidationError as error:
            raise as_api_error(error) from None
        return Response(OverrideOut(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw a health override",
        description="The computed score applies again; the override stays in the history.",
        request=None,
        responses={200: OverrideOut},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return Response(OverrideOut(override_end(override=self.get_object())).data)
