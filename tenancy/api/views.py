from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from core.api import TenantQuerysetMixin

from ..models import Membership


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "created_at"]

    def get_name(self, membership) -> str:
        return membership.user.get_full_name()


@extend_schema_view(
    list=extend_schema(
        summary="List the organization's members",
        description="Everyone in the organization with their role; an account's `owner_csm` "
        "is one of these emails (a member who is not a viewer).",
    ),
    retrieve=extend_schema(summary="Get one member"),
)
class MemberViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Membership
    serializer_class = MemberSerializer
    ordering = ["id"]

    def safely_get_queryset(self):
        return Membership.objects.select_related("user")
