from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tenancy.permissions import is_owner, member_required

from . import services
from .forms import SubscriptionForm
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
