from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("<int:pk>/toggle/", views.subscription_toggle, name="toggle"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
