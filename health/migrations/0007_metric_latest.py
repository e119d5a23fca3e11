"""MetricLatest: each account's latest value per metric. Migration 0008 fills it and adds
the triggers that keep it, once this one's indexes exist: PostgreSQL refuses to build an
index on a table with key checks pending, as the backfill's would be."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.rls import AccountOfSameTenant, EnableRLS


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_account_in_organization"),
        ("health", "0006_account_of_same_tenant"),
        ("tenancy", "0005_idempotency_rls"),
    ]

    operations = [
        migrations.CreateModel(
            name="MetricLatest",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "account",
                        "metric",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="latest_metrics",
                        to="accounts.account",
                    ),
                ),
                ("metric", models.SlugField(db_index=False, max_length=60)),
                (
                    "metric_value",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="health.metricvalue",
                    ),
                ),
                ("number", models.FloatField(null=True)),
                ("text", models.CharField(blank=True, max_length=120)),
                ("observed_at", models.DateTimeField()),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["metric", "account"], name="latest_by_metric")],
            },
        ),
        # Before the triggers (0008): SQLite alters a column by remaking the table, and the
        # table remade has none.
        # The dashboard reads one metric's latest values from MetricLatest now; nothing reads
        # MetricValue by metric first, and each index cost every ingested value a write.
        migrations.RemoveIndex(model_name="metricvalue", name="metric_latest"),
        migrations.AlterField(
            model_name="metricvalue",
            name="metric",
            field=models.SlugField(db_index=False, max_length=60),
        ),
        EnableRLS("MetricLatest"),
        AccountOfSameTenant("MetricLatest"),
    ]
