from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from accounts.permissions import acting_membership, can_edit_account
from core.api import IdFilter, TenantQuerysetMixin, as_api_error

from .. import services
from ..models import Assessment, Framework
from ..selectors import framework_primary
from .serializers import AssessmentIn, AssessmentOut, FrameworkOut


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
            )
        except ValidationError as error:
            raise as_api_error(error, field="answers") from error
        return Response(AssessmentOut(assessment).data, status=status.HTTP_201_CREATED)
