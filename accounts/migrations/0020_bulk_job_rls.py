from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0019_bulk_job")]

    operations = [EnableRLS("BulkJob")]
