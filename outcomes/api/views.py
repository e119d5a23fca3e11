from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account
from accounts.permissions import acting_membership, can_edit_account
from core.api import IdFilter, TenantQuerysetMixin, bulk_limit
from segments.selectors import framework_whatif, scorecard_whatif

from .. import backtest
from ..asof import model_current
from ..calibration import card_proposed
from ..models import BacktestReport, Outcome
from ..reports import (
    HORIZON_DEFAULT,
    backtest_report,
    calibration_framework,
    calibration_scorecard,
    report_progress,
)
from ..services import MAX_OUTCOMES_PER_REQUEST, outcomes_record
from ..validation import outcomes_validate
from .serializers import (
    BacktestOut,
    BacktestPending,
    CalibrationProposalOut,
    OutcomeIn,
    OutcomeOut,
)

bulk_limit("/api/v1/outcomes/", "post", most=MAX_OUTCOMES_PER_REQUEST)


class OutcomeFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    since = filters.DateFilter(field_name="occurred_on", lookup_expr="gte")

    class Meta:
        model = Outcome
        fields = ["account", "since"]


class OutcomesView(TenantQuerysetMixin, generics.ListAPIView):
    queryset_model = Outcome
    serializer_class = OutcomeOut
    filterset_class = OutcomeFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return Outcome.objects.all()

    @extend_schema(
        summary="List renewal outcomes",
        description="Every recorded outcome, newest first: filter by `account` and by `since` "
        "(occurred on or after a date, YYYY-MM-DD).",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        summary="Record renewal outcomes",
        description="What happened at renewals: up to the endpoint's limit of items, each "
        "naming its account by `account` (id) or `external_id`. All or nothing: one bad item "
        "and nothing is written; the 400 lists each bad item's fields (`/3/occurred_on`). "
        "A churn moves the account to the churned lifecycle stage. Each outcome is announced "
        "as the `outcome.created` webhook event.",
        request=OutcomeIn,
        responses={
            201: inline_serializer(
                "OutcomesRecorded", {"created": serializers.IntegerField(min_value=1)}
            ),
            400: OpenApiResponse(
                description="Nothing was stored: `errors` points at each bad item's fields."
            ),
        },
    )
    def post(self, request):
        items = request.data
        if not isinstance(items, list) or not items:
            raise ValidationError({"non_field_errors": ["Send a non-empty JSON list of outcomes."]})
        if len(items) > MAX_OUTCOMES_PER_REQUEST:
            raise ValidationError(
                {"non_field_errors": [f"At most {MAX_OUTCOMES_PER_REQUEST} outcomes per request."]}
            )
        outcomes, errors = outcomes_validate(items)
        if errors:
            raise ValidationError(
                [{k: [v] for k, v in errors.get(i, {}).items()} for i in range(len(items))]
            )
        membership = acting_membership(request)
        accounts = Account.objects.in_bulk({o.account_id for o in outcomes})
        refused = [not can_edit_account(membership, accounts[o.account_id]) for o in outcomes]
        if any(refused):
            message = ErrorDetail(
                "Only the account's CSM or a manager can record its outcomes.", "permission_denied"
            )
            raise PermissionDenied([{"account": [message]} if no else {} for no in refused])
        outcomes_record(
            organization=request.organization,
            outcomes=outcomes,
            source=Outcome.Source.API,
            by=request.user if request.user.is_authenticated else None,
        )
        return Response({"created": len(outcomes)}, status=status.HTTP_201_CREATED)


class BacktestQuery(serializers.Serializer):
    horizon_days = serializers.IntegerField(
        min_value=1,
        max_value=730,
        default=HORIZON_DEFAULT,
        help_text="The model is judged as each account stood this many days before its outcome.",
    )
    since = serializers.DateField(required=False, help_text="Outcomes on or after this date.")
    until = serializers.DateField(required=False, help_text="Outcomes on or before this date.")
    k = serializers.IntegerField(
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text="Precision and recall if the team acts on its k lowest-CHS accounts.",
    )

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            # Schema-valid, but contradicting itself: no schema can say so (409, core.api).
            raise ValidationError({"until": [ErrorDetail("On or after since.", code="conflict")]})
        return attrs


class BacktestView(APIView):
    @extend_schema(
        summary="Backtest the CHS and CMI against renewal outcomes",
        description="For each outcome, the scores as the account stood `horizon_days` before "
        "it, scored by today's scorecard and framework (overrides ignored), against what "
        "happened. AUCs with 95% bootstrap intervals, churn by grid cell with Wilson "
        "intervals, lift by CHS decile and calibration. Below 30 outcomes or 5 churns, "
        "`enough_data` is false and only the counts are given. The report is computed when "
        "missing or out of date; for a large organization that runs in the background and "
        "the answer is 202 with `Retry-After` until it is ready.",
        parameters=[
            BacktestQuery,
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[202],
                description="Seconds to wait before asking again.",
            ),
        ],
        responses={
            200: BacktestOut,
            202: OpenApiResponse(BacktestPending, description="Being computed: ask again."),
            409: OpenApiResponse(description="`until` is before `since`."),
            503: OpenApiResponse(description="The computation failed; ask again to retry."),
        },
    )
    def get(self, request):
        query = BacktestQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        report = backtest_report(
            horizon_days=asked["horizon_days"], since=asked.get("since"), until=asked.get("until")
        )
        if report.status == BacktestReport.Status.RUNNING:
            return Response(
                {"status": "running", "progress": report_progress(report)},
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": "5"},
            )
        if report.status == BacktestReport.Status.FAILED:
            raise BacktestFailed()
        return Response(BacktestOut(report_body(report, asked.get("k"))).data)


def report_body(report: BacktestReport, k: int | None) -> dict:
    figures = dict(report.figures)
    ranked = figures.pop("ranked_churn", None)
    body = figures | {
        "since": report.since,
        "until": report.until,
        "computed_at": report.finished_at,
    }
    if ranked is not None:
        body["precision_at_k"] = backtest.precision_at(ranked, k or max(1, len(ranked) // 10))
    return body


class BacktestFailed(APIException):
    status_code = 503
    default_code = "backtest_failed"
    default_detail = "The backtest could not be computed; the next request tries again."


class CalibrationQuery(serializers.Serializer):
    target = serializers.ChoiceField(
        choices=["framework", "scorecard"],
        default="framework",
        help_text="What to refit: the primary framework's pillar weights, or the active "
        "scorecard's group and measure weights.",
    )
    horizon_days = serializers.IntegerField(min_value=1, max_value=730, default=HORIZON_DEFAULT)


class CalibrationView(APIView):
    @extend_schema(
        summary="Propose weights fitted to renewal outcomes",
        description="Pillar weights of the primary framework (`target=framework`), or the "
        "active scorecard's measure weights factored into group and in-group weights "
        "(`target=scorecard`), fitted to the outcomes (a ridge-regularized logistic model "
        "with non-negative weights totalling 100%), shown "
        "beside today's, with both out-of-sample AUCs (time-ordered folds) and a paired "
        "bootstrap interval of the gain. `verdict` is `keep` unless the gain is above noise. "
        "With a proposal, `whatif` counts the accounts that would change CMI tier (framework) "
        "or CHS level (scorecard) and cell, with the ARR that moves. Nothing is changed: "
        "applying weights is a framework or scorecard edit.",
        parameters=[CalibrationQuery],
        responses={200: CalibrationProposalOut},
    )
    def get(self, request):
        query = CalibrationQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        horizon = query.validated_data["horizon_days"]
        if query.validated_data["target"] == "scorecard":
            proposal = calibration_scorecard(horizon_days=horizon)
            card = model_current().card
            if proposal.get("proposed_card") and card is not None:
                candidate = card_proposed(card, proposal["proposed_card"])
                proposal = proposal | {"whatif": scorecard_whatif(candidate)}
            return Response(CalibrationProposalOut(proposal).data)
        proposal = calibration_framework(horizon_days=horizon)
        if proposal["proposed"]:
            proposal = proposal | {"whatif": framework_whatif(proposal["proposed"])}
        return Response(CalibrationProposalOut(proposal).data)
