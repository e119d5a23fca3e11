"""The feed's positions (tenancy.feed): one sequence, starting above every transaction id
stored so far (each was an earlier transaction's, so below this one's), so that cursors
given before keep their place."""

from django.db import migrations

from tenancy.feed import SEQUENCE


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint + 1")
        start = cursor.fetchone()[0]
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(start)}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("segments", "0012_keys_within_tenant")]

    operations = [migrations.RunPython(create, drop)]
