from django.urls import path

from . import views

app_name = "health"
urlpatterns = [
    path("accounts/<int:account_pk>/values/", views.value_add, name="value_add"),
    path("accounts/<int:account_pk>/overrides/", views.override_add, name="override_add"),
    path("overrides/<int:pk>/end/", views.override_end, name="override_end"),
    path("metrics/import/", views.metrics_import, name="metrics_import"),
    path("scorecards/", views.scorecard_list, name="scorecards"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard"),
    path("scorecards/<int:pk>/activate/", views.scorecard_activate, name="scorecard_activate"),
]
