from django.db import migrations

from tenancy.rls import (
    CURRENT_ORGANIZATION_SLUG,
    CURRENT_TENANT,
    CURRENT_USER,
    LISTING_ORGANIZATIONS,
    EnableRLS,
)

# As before, plus: the periodic-task dispatcher may list organizations (ids only reach tasks,
# which then run inside each tenant). Other tables are untouched by this setting.
ORGANIZATION_VISIBLE = (
    f"id = {CURRENT_TENANT} OR slug = {CURRENT_ORGANIZATION_SLUG} OR {LISTING_ORGANIZATIONS} "
    f"OR id IN (SELECT organization_id FROM tenancy_membership WHERE user_id = {CURRENT_USER})"
)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [
        EnableRLS("Organization", using=ORGANIZATION_VISIBLE, check=f"id = {CURRENT_TENANT}"),
    ]
