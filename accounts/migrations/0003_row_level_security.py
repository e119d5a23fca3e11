from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [EnableRLS("Account"), EnableRLS("ImportJob")]
