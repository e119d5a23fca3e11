from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import acting_membership, can_edit_account
from core.api import IdFilter, TenantQuerysetMixin, as_api_error

from .. import services, surveys
from ..models import Assessment, Framework, SurveyLink
from ..selectors import framework_primary
from .serializers import AssessmentIn, AssessmentOut, FrameworkOut, SurveyLinkIn, SurveyLinkOut


class FrameworkViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Framework
    serializer_class = FrameworkOut
    ordering = ["id"]

    def safely_get_queryset(self):
        return Framework.objects.select_related("current_version").prefetch_related(
            "current_version__pillars__factors", "current_version__tiers"
        )


class AssessmentFilter(filters.FilterSet):
    # Declared, not derived from the model: deriving a relation filter queries a scoped table.
    account = IdFilter(field_name="account_id")
    status = filters.ChoiceFilter(choices=Assessment.Status.choices)

    class Meta:
        model = Assessment
        fields = ["account", "status"]


class AssessmentViewSet(
    TenantQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AssessmentOut
    filterset_class = AssessmentFilter
    ordering_fields = ["id", "submitted_at"]
    ordering = ["-id"]

    queryset_model = Assessment

    def safely_get_queryset(self):
        return Assessment.objects.select_related("version").prefetch_related("answers")

    @extend_schema(
        request=AssessmentIn,
        responses={
            201: AssessmentOut,
            400: OpenApiResponse(description="Messages per field; per factor key for answers."),
        },
    )
    def create(self, request, *args, **kwargs):
        incoming = AssessmentIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        account = data["account"]
        if not can_edit_account(acting_membership(request), account):
            raise exceptions.PermissionDenied("Only the account's CSM or a manager can assess it.")
        framework = data.get("framework") or framework_primary()
        if framework is None:
            raise exceptions.ValidationError({"framework": ["This organization has no framework."]})
        try:
            assessment = services.assessment_create(
                account=account,
                framework=framework,
                answers=data["answers"],
                comments=data.get("comments"),
                by=request.user if request.user.is_authenticated else None,
                submitted_at=data.get("submitted_at"),
            )
        except ValidationError as error:
            raise as_api_error(error, field="answers") from error
        return Response(AssessmentOut(assessment).data, status=status.HTTP_201_CREATED)


class SurveyLinkFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = SurveyLink
        fields = ["account"]


@extend_schema_view(
    create=extend_schema(
        summary="Create a self-assessment link",
        description="A signed link to the customer's own survey, valid for `valid_days`. The "
        "account's CSM, managers and API keys only, as in the browser.",
        request=SurveyLinkIn,
        responses={201: SurveyLinkOut},
    )
)
class SurveyLinkViewSet(
    TenantQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset_model = SurveyLink
    serializer_class = SurveyLinkOut
    filterset_class = SurveyLinkFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return SurveyLink.objects.all()

    def _check_editable(self, account) -> None:
        if not can_edit_account(acting_membership(self.request), account):
            raise exceptions.PermissionDenied("Only the account's CSM or a manager can do this.")

    def create(self, request, *args, **kwargs):
        asked = SurveyLinkIn(data=request.data)
        asked.is_valid(raise_exception=True)
        account = asked.validated_data["account"]
        self._check_editable(account)
        framework = asked.validated_data.get("framework") or framework_primary()
        if framework is None:
            raise exceptions.ValidationError(
                {"framework": ["This organization has no primary framework."]}, code="not_found"
            )
        link = surveys.survey_link_create(
            account=account,
            framework=framework,
            mode=asked.validated_data["mode"],
            valid_days=asked.validated_data["valid_days"],
            by=request.user if request.user.is_authenticated else None,
        )
        return Response(
            SurveyLinkOut(link, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Revoke a self-assessment link",
        description="The link stops working at once; it stays listed as revoked.",
        request=None,
        responses={200: SurveyLinkOut},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.get_object()
        self._check_editable(link.account)
        surveys.survey_link_revoke(link=link)
        return Response(SurveyLinkOut(link, context={"request": request}).data)
