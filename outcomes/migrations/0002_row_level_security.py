from django.db import migrations

from tenancy.rls import EnableRLS, KeyWithinTenant


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [
        EnableRLS("Outcome"),
        EnableRLS("BacktestReport"),
        KeyWithinTenant("outcome", "account"),
    ]
