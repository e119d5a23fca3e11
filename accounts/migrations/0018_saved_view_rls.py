from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0017_saved_view")]

    operations = [EnableRLS("SavedView")]
