from django.contrib import admin

from tenancy.admin import TenantAdmin

from .models import Account, ImportJob


@admin.register(Account)
class AccountAdmin(TenantAdmin):
    list_display = ["name", "external_id", "industry", "region", "size_band", "arr", "owner_csm"]
    list_filter = ["size_band", "lifecycle_stage", "region"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner_csm"]


@admin.register(ImportJob)
class ImportJobAdmin(TenantAdmin):
    list_display = ["filename", "status", "created_count", "updated_count", "created_at"]
    exclude = ["content"]
    readonly_fields = ["status", "total_rows", "created_count", "updated_count", "errors"]
