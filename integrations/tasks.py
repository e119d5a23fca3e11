from core.queue import task_send_on_commit
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
        task_send_on_commit(
            "integrations.tasks.deliver",
            str(delivery.organization_id),
            delivery_id,
            countdown=retry_delay(delivery.attempts),
        )
    return delivery.status
