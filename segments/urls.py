from django.urls import path

from . import views

app_name = "segments"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("grid/", views.grid_settings, name="grid"),
    path("metrics/", views.segment_metrics, name="metrics"),
    path("export/<str:what>", views.dashboard_export, name="export"),
]
