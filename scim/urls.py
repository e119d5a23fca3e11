from django.urls import path, re_path

from . import views

app_name = "scim"
urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config, name="config"),
    path("Schemas", views.schemas, name="schemas"),
    path("Schemas/<str:schema_id>", views.schema, name="schema"),
    path("ResourceTypes", views.resource_types, name="resource_types"),
    path("ResourceTypes/<str:type_id>", views.resource_type, name="resource_type"),
    path("Users", views.users, name="users"),
    path("Users/.search", views.users_search, name="users_search"),
    path("Users/<str:scim_id>", views.user, name="user"),
    path("Groups", views.groups, name="groups"),
    path("Groups/.search", views.groups_search, name="groups_search"),
    path("Groups/<str:scim_id>", views.group, name="group"),
    path(".search", views.search_all, name="search"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
