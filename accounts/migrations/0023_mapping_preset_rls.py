from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("accounts", "0022_mapping_preset")]

    operations = [EnableRLS("MappingPreset")]
