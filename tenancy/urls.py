from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("switch/", views.organization_switch, name="switch"),
    path("members/", views.member_list, name="members"),
    path("members/<int:pk>/", views.member_update, name="member_update"),
    path("members/<int:pk>/sign-out/", views.member_sign_out, name="member_sign_out"),
    path("api-keys/", views.api_key_list, name="api_keys"),
    path("provisioning/", views.provisioning, name="provisioning"),
    path("api-keys/<str:prefix>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
