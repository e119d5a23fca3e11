from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tenancy.permissions import is_owner, member_required

from . import services
from .forms import SecretRotationForm, SubscriptionEditForm, SubscriptionForm
from .models import WebhookDelivery, WebhookSubscription


@member_required(is_owner)
def webhook_list(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_create(
                organization=request.organization, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "The endpoint was added.")
            return redirect("integrations:webhooks")
    return render(
        request,
        "integrations/webhook_list.html",
        {
            "form": form,
            "in_process": settings.CELERY_TASK_ALWAYS_EAGER,
            "subscriptions": WebhookSubscription.objects.all(),
            "deliveries": WebhookDelivery.objects.select_related("subscription")[:50],
        },
    )


@member_required(is_owner)
def delivery_detail(request, pk):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
    return render(
        request,
        "integrations/delivery_detail.html",
        {"delivery": delivery, "body": services.body_of(delivery).decode()},
    )


@member_required(is_owner)
@require_POST
def delivery_redeliver(request, pk):
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    services.delivery_redeliver(delivery=delivery)
    messages.success(request, "The event is being sent again.")
    return redirect("integrations:delivery", pk=pk)


@member_required(is_owner)
@require_POST
def subscription_toggle(request, pk):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription.is_active = not subscription.is_active
    subscription.save(update_fields=["is_active"])
    return redirect("integrations:webhooks")


@member_required(is_owner)
def subscription_detail(request, pk):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    fields = ("url", "events", "description", "is_active")
    form = SubscriptionEditForm(
        request.POST or None, initial={f: getattr(subscription, f) for f in fields}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(subscription=subscription, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "The endpoint was saved.")
            return redirect("integrations:subscription", pk=pk)
    return render(
        request,
        "integrations/subscription_detail.html",
        {
            "subscription": subscription,
            "form": form,
            "rotation": SecretRotationForm(),
            "secrets": services.signing_secrets(subscription),
            "answer": request.session.pop(f"webhook-test-{pk}", None),
            "deliveries": subscription.deliveries.all()[:20],
        },
    )


@member_required(is_owner)
@require_POST
def subscription_test(request, pk):
    """Send the test event and show what came back on the endpoint's page."""
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    answer = services.subscription_ping(subscription=subscription)
    request.session[f"webhook-test-{pk}"] = {
        "ok": answer.ok,
        "status_code": answer.status_code,
        "excerpt": answer.excerpt,
        "error": answer.error,
        "duration_ms": answer.duration_ms,
    }
    return redirect("integrations:subscription", pk=pk)


@member_required(is_owner)
@require_POST
def subscription_rotate(request, pk):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = SecretRotationForm(request.POST)
    if form.is_valid():
        services.subscription_secret_rotate(
            subscription=subscription, overlap_hours=form.cleaned_data["overlap_hours"]
        )
        hours = form.cleaned_data["overlap_hours"]
        messages.success(
            request,
            "A new secret signs from now on"
            + (
                f"; the old one signs beside it for {hours} hours."
                if hours
                else "; the old one no longer does."
            ),
        )
    else:
        messages.error(request, "; ".join(form.errors["overlap_hours"]))
    return redirect("integrations:subscription", pk=pk)


@member_required(is_owner)
@require_POST
def subscription_remove(request, pk):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.subscription_delete(subscription=subscription)
    messages.success(request, f"The endpoint {subscription.url} was deleted; its deliveries stay.")
    return redirect("integrations:webhooks")
