from django.db import migrations

from tenancy.rls import (
    CURRENT_API_KEY_PREFIX,
    CURRENT_ORGANIZATION_SLUG,
    CURRENT_TENANT,
    CURRENT_USER,
    EnableRLS,
    tenant_match,
)

# A member sees their own memberships and organizations before choosing one (the switcher);
# an API key is found by its public prefix; an operator's command names an organization by slug.
ORGANIZATION_VISIBLE = (
    f"id = {CURRENT_TENANT} OR slug = {CURRENT_ORGANIZATION_SLUG} OR id IN "
    f"(SELECT organization_id FROM tenancy_membership WHERE user_id = {CURRENT_USER})"
)



def seal_library_key_table(apps, schema_editor):
    """The library's own APIKey table is never used (keys belong to organizations): seal it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    table = "rest_framework_api_key_apikey"
    schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"CREATE POLICY sealed ON {table} USING (false) WITH CHECK (false)")


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("rest_framework_api_key", "0005_auto_20220110_1102"),
    ]

    operations = [
        EnableRLS("Organization", using=ORGANIZATION_VISIBLE, check=f"id = {CURRENT_TENANT}"),
        EnableRLS("Membership", using=f"{tenant_match()} OR user_id = {CURRENT_USER}"),
        EnableRLS(
            "OrganizationAPIKey", using=f"{tenant_match()} OR prefix = {CURRENT_API_KEY_PREFIX}"
        ),
        migrations.RunPython(seal_library_key_table, migrations.RunPython.noop),
    ]
