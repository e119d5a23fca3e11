from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0004_idempotency")]

    operations = [EnableRLS("IdempotencyRecord")]
