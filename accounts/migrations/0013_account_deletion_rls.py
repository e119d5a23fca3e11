from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_account_deletion")]

    operations = [EnableRLS("AccountDeletion")]
