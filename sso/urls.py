from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("", views.start, name="start"),
    path("callback/", views.Callback.as_view(), name="callback"),
    path("<slug:slug>/", views.Login.as_view(), name="login"),
]
