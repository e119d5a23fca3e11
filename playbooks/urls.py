from django.urls import path

from . import views

app_name = "playbooks"
urlpatterns = [
    path("", views.playbook_list, name="list"),
    path("new/", views.playbook_edit, name="new"),
    path("<int:pk>/", views.playbook_detail, name="detail"),
    path("<int:pk>/edit/", views.playbook_edit, name="edit"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("accounts/<int:account_pk>/start/", views.run_start, name="run_start"),
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/bulk/", views.tasks_bulk, name="tasks_bulk"),
    path("tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
]
