from django.db import migrations

from tenancy.rls import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [
        EnableRLS("WebhookSubscription"),
        EnableRLS("WebhookDelivery"),
        EnableRLS("DeliveryAttempt"),
    ]
