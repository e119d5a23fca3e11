from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]

    operations = [EnableRLS("Grid"), EnableRLS("GridCell"), EnableRLS("TierMigration")]
