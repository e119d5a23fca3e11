from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("accounts/<int:account_pk>/record/", views.outcome_add, name="add"),
    path("import/", views.outcomes_import, name="import"),
    path("lab/", views.score_lab, name="lab"),
    path("lab/status/", views.score_lab_status, name="lab_status"),
    path("lab/weights/", views.weights_candidate, name="weights"),
    path("lab/weights/preview/", views.weights_preview, name="weights_preview"),
    path("lab/scorecard/", views.scorecard_candidate, name="scorecard_weights"),
    path("lab/scorecards/<int:pk>/preview/", views.scorecard_preview, name="scorecard_preview"),
    path("lab/export.csv", views.score_lab_export, name="lab_export"),
]
