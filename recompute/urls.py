from django.urls import path

from . import views

app_name = "recompute"
urlpatterns = [path("status/", views.status, name="status")]
