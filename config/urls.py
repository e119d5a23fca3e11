from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from tenancy.views import PasswordResetView

from .views import healthz

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="segments:dashboard"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("org/webhooks/", include("integrations.urls")),
    path("org/audit/", include("audit.urls")),
    path("scim/v2/", include("scim.urls")),
    path("sso/", include("sso.urls")),
    path("org/", include("tenancy.urls")),
    path("maturity/", include("maturity.urls")),
    path("health/", include("health.urls")),
    path("segments/", include("segments.urls")),
    path("playbooks/", include("playbooks.urls")),
    path("recompute/", include("recompute.urls")),
    path("outcomes/", include("outcomes.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    # Browsers ask for /favicon.ico before reading the page's <link rel="icon">.
    path("favicon.ico", RedirectView.as_view(url="/static/favicon.svg", permanent=True)),
    path("api/v1/", include("config.api_urls")),
]
