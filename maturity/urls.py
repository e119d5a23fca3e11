from django.urls import path

from . import views

app_name = "maturity"
urlpatterns = [
    path("accounts/<int:account_pk>/assessments/new/", views.assessment_new, name="assessment_new"),
    path("accounts/<int:account_pk>/survey-links/", views.survey_link_create, name="link_create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("survey-links/<int:pk>/revoke/", views.survey_link_revoke, name="link_revoke"),
    path("survey-links/<int:pk>/email/", views.survey_link_email, name="link_email"),
    path("assessments/import/", views.assessments_import, name="assessments_import"),
    path(
        "assessments/import/template.csv",
        views.assessments_import_template,
        name="assessments_import_template",
    ),
    path("frameworks/", views.framework_list, name="frameworks"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework"),
    path(
        "frameworks/<int:pk>/provider-level/", views.framework_provider_level, name="provider_level"
    ),
    path("s/<str:token>/", views.survey, name="survey"),
]
