from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("<int:pk>/", views.subscription_detail, name="subscription"),
    path("<int:pk>/test/", views.subscription_test, name="test"),
    path("<int:pk>/rotate-secret/", views.subscription_rotate, name="rotate"),
    path("<int:pk>/delete/", views.subscription_remove, name="delete"),
    path("<int:pk>/toggle/", views.subscription_toggle, name="toggle"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
