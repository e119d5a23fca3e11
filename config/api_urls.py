"""The single API router: every app registers its resources here, under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet
from maturity.api.views import AssessmentViewSet, FrameworkViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("assessments", AssessmentViewSet, basename="assessment")

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
