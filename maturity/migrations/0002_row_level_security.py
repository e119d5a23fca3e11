from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("maturity", "0001_initial")]

    operations = [
        EnableRLS(model)
        for model in (
            "Framework",
            "FrameworkVersion",
            "Pillar",
            "Factor",
            "Tier",
            "Assessment",
            "Answer",
            "SurveyLink",
            "SelfAssessment",
        )
    ]
