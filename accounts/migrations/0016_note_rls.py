from django.db import migrations

from tenancy.rls import EnableRLS, KeyWithinTenant


class Migration(migrations.Migration):
    dependencies = [("accounts", "0015_note")]

    operations = [
        EnableRLS("Note"),
        KeyWithinTenant("note", "account"),
    ]
