from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import IdFilter, TenantQuerysetMixin
from tenancy.api.permissions import IsOrganizationMember
from tenancy.models import OrganizationAPIKey

from ..models import WebhookDelivery, WebhookSubscription
from ..services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_update,
)
from .serializers import (
    DeliverySerializer,
    SecretRotatedSerializer,
    SecretRotationSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionSerializer,
)


class IsOwnerOrKey(IsOrganizationMember):
    """Webhooks hold secrets: API keys and owners only."""

    message = "Only owners manage webhooks."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if isinstance(request.auth, OrganizationAPIKey):
            return True
        return request._request.membership.is_owner


@extend_schema_view(
    create=extend_schema(
        summary="Create a webhook subscription",
        description="The response carries the endpoint's signing secret, once: no other "
        "response shows it.",
        request=SubscriptionSerializer,
        responses={201: SubscriptionCreatedSerializer},
    )
)
class WebhookSubscriptionViewSet(TenantQuerysetMixin, viewsets.ModelViewSet):
    serializer_class = SubscriptionSerializer
    queryset_model = WebhookSubscription
    permission_classes = [IsOwnerOrKey]
    ordering = ["-id"]

    def safely_get_queryset(self):
        return WebhookSubscription.objects.all()

    def get_serializer_class(self):
        return SubscriptionCreatedSerializer if self.action == "create" else SubscriptionSerializer

    def perform_create(self, serializer):
        user = self.request.user if self.request.user.is_authenticated else None
        serializer.instance = subscription_create(
            organization=self.request.organization, by=user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        subscription = serializer.instance
        current = {
            "url": subscription.url,
            "events": subscription.events,
            "description": subscription.description,
            "is_active": subscription.is_active,
        }
        serializer.instance = subscription_update(
            subscription=subscription, **{**current, **serializer.validated_data}
        )

    def perform_destroy(self, instance):
        subscription_delete(subscription=instance)

    @extend_schema(
        summary="Rotate a webhook subscription's signing secret",
        description="A new secret, shown in this response only. For `overlap_hours` the old "
        "secret signs too (a second signature in `webhook-signature`), so a receiver can "
        "switch without refusing an event.",
        request=SecretRotationSerializer,
        responses={200: SecretRotatedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        asked = SecretRotationSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        subscription_secret_rotate(
            subscription=subscription, overlap_hours=asked.validated_data["overlap_hours"]
        )
        return Response(SecretRotatedSerializer(subscription).data)


class DeliveryFilter(filters.FilterSet):
    # Declared, not derived: deriving a relation filter queries a scoped table.
    subscription = IdFilter(field_name="subscription_id")
    status = filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = filters.CharFilter()

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event"]


class WebhookDeliveryViewSet(
    TenantQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = DeliverySerializer
    queryset_model = WebhookDelivery
    permission_classes = [IsOwnerOrKey]
    filterset_class = DeliveryFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        return WebhookDelivery.objects.prefetch_related("log")

    @extend_schema(
        summary="Send a delivery again",
        description="Queues the delivery for another attempt now, whatever its state; the "
        "attempt is added to its log.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = delivery_redeliver(delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=202)
