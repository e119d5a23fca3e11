from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_initial")]

    operations = [
        EnableRLS("Playbook"),
        EnableRLS("PlaybookStep"),
        EnableRLS("PlaybookRun"),
        EnableRLS("PlaybookTask"),
    ]
