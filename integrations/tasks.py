from tenancy.tasks import tenant_task

from .models import WebhookDelivery
from .services import deliveries_relay, delivery_attempt, delivery_send, retry_delay


@tenant_task()
def deliver(delivery_id: int, attempt: int | None = None) -> str:
    """Make attempt number `attempt` of the delivery (once, however often it is sent), then
    schedule the next if it failed."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    made = delivery_attempt(delivery=delivery, number=attempt)
    delivery.refresh_from_db()
    # Run in-process (the demo, no broker), a retry would run at once, not after its backoff:
    # the delivery waits instead, pending, until Redeliver (the webhooks page says so).
    if deliver.request.is_eager:
        return delivery.status
    if made is not None and delivery.status == WebhookDelivery.Status.PENDING:
        delivery_send(
            delivery, attempt=delivery.attempts + 1, countdown=retry_delay(delivery.attempts)
        )
    return delivery.status


@tenant_task()
def relay() -> int:
    """Beat's, for each tenant every WEBHOOK_RELAY_SECONDS: the deliveries whose task was
    lost."""
    return deliveries_relay()
