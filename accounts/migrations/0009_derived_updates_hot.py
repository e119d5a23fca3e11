from django.db import migrations, models

# The recompute rewrites an account's derived columns (CMI, CHS, cell) often, and a whole
# tenant's at once. An UPDATE is HOT (heap-only: no index entry written) when no indexed column
# changes and the row's page has room for the new version. Leaving 30% of each page free gives
# it that room; dropping the index on `segment` (nine values) leaves no indexed column among
# the derived ones. A million accounts' UPDATE then skips nine million index insertions.
FILLFACTOR = 70


def fillfactor_set(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE accounts_account SET (fillfactor = {FILLFACTOR})")


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE accounts_account RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_tenant_page_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="segment",
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.RunPython(fillfactor_set, fillfactor_reset),
    ]
