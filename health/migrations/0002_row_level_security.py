from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [
        EnableRLS(model)
        for model in (
            "Scorecard",
            "MeasureGroup",
            "Measure",
            "HealthLevel",
            "MetricValue",
            "HealthOverride",
            "HealthSnapshot",
        )
    ]
