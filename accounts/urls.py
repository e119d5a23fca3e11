from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("export.csv", views.account_export, name="export"),
    path("new/", views.account_create, name="create"),
    path("views/", views.saved_view_create, name="view_create"),
    path("bulk/", views.accounts_bulk, name="bulk"),
    path("bulk/<int:pk>/", views.bulk_job_detail, name="bulk_job"),
    path("bulk/<int:pk>/status/", views.bulk_job_status, name="bulk_job_status"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view_delete"),
    path("import/", views.import_start, name="import"),
    path("import/map/<str:token>/", views.import_map, name="import_map"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/status/", views.import_status, name="import_status"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/notes/", views.note_create, name="note_create"),
    path("<int:pk>/delete/", views.account_delete, name="delete"),
]
