from django.db import transaction

from tenancy.tasks import tenant_task

from .models import WebhookDelivery
from .services import delivery_attempt, retry_delay


@tenant_task()
def deliver(delivery_id: int) -> str:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    attempt = delivery_attempt(delivery=delivery)
    delivery.refresh_from_db()
    if attempt is not None and delivery.status == WebhookDelivery.Status.PENDING:
        organization_id = str(delivery.organization_id)
        delay = retry_delay(delivery.attempts)
        transaction.on_commit(
            lambda: deliver.apply_async(args=[organization_id, delivery_id], countdown=delay)
        )
    return delivery.status
