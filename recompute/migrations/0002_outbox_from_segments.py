"""Carry the requests and parts still waiting in segments' outbox (one table, with a part's
providers as comma-separated text) over to this app's tables, before segments drops it."""

from django.db import migrations

from tenancy.rls import each_tenant


def carry(apps, schema_editor):
    Old = apps.get_model("segments", "RecomputeRequest")
    Request = apps.get_model("recompute", "RecomputeRequest")
    Part = apps.get_model("recompute", "RecomputePart")
    Provider = apps.get_model("recompute", "RecomputePartProvider")
    for _ in each_tenant(schema_editor.connection):
        for row in Old.objects.order_by("id"):
            if row.first_id is None:
                Request.objects.create(
                    organization_id=row.organization_id,
                    account_ids=row.account_ids,
                    cause=row.cause,
                    cause_id=row.cause_id,
                )
                continue
            part = Part.objects.create(
                organization_id=row.organization_id,
                first_id=row.first_id,
                last_id=row.last_id,
                cause=row.cause,
                cause_id=row.cause_id,
                published_at=row.published_at or row.created_at,
            )
            # An empty list was "everything": the providers then were the CMI and the CHS.
            for key in [*(row.parts.split(",") if row.parts else ["cmi", "chs"]), "cell"]:
                Provider.objects.create(organization_id=row.organization_id, part=part, provider=key)


class Migration(migrations.Migration):
    dependencies = [
        ("recompute", "0001_initial"),
        ("segments", "0009_cell_actions_without_question_marks"),
    ]

    operations = [migrations.RunPython(carry, migrations.RunPython.noop)]
