"""The admin works inside the staff member's active organization, like every other page.

Tenant querysets are scoped by the middleware (and by RLS underneath); new rows take the
active organization; users are listed only if they belong to it.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Organization, OrganizationAPIKey, User


class TenantAdmin(admin.ModelAdmin):
    """A tenant model's admin: nothing of it for a staff member with no active organization
    (a 403 on its pages, where its queries would have no tenant to run in)."""

    def has_module_permission(self, request):
        return request.organization is not None and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.organization is not None and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.organization is not None and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.organization is not None and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.organization is not None and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.organization = request.organization
        super().save_model(request, obj, form, change)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.organization is None:
            return queryset.none()
        return queryset.filter(memberships__organization=request.organization)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    readonly_fields = ["slug"]

    def get_queryset(self, request):
        if request.organization is None:
            return Organization.objects.none()
        return Organization.objects.filter(pk=request.organization.pk)

    def has_add_permission(self, request):
        return False  # organizations are created with `manage.py createtenant`

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["user"]


@admin.register(OrganizationAPIKey)
class ApiKeyAdmin(TenantAdmin):
    list_display = ["name", "prefix", "created", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "created", "last_used_at", "created_by"]
    fields = ["name", "prefix", "revoked", "expiry_date", "created", "last_used_at", "created_by"]

    def has_add_permission(self, request):
        return False  # keys are created on the API keys page, which shows the plain key once
