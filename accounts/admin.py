from django.contrib import admin

from tenancy.admin import TenantAdmin

from . import services
from .models import Account, ImportJob


@admin.register(Account)
class AccountAdmin(TenantAdmin):
    list_display = ["name", "external_id", "industry", "region", "size_band", "arr", "owner_csm"]
    list_filter = ["size_band", "lifecycle_stage", "region"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner_csm"]

    # A deletion from here is the app's own (tombstone, kept history, account.deleted).
    def delete_model(self, request, obj):
        services.account_delete(account=obj)

    def delete_queryset(self, request, queryset):
        for account in queryset:
            services.account_delete(account=account)


@admin.register(ImportJob)
class ImportJobAdmin(TenantAdmin):
    list_display = ["filename", "status", "created_count", "updated_count", "created_at"]
    exclude = ["content"]
    readonly_fields = ["status", "total_rows", "created_count", "updated_count", "errors"]
