"""The single API router: every app registers its resources here, under /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api.timeline import AccountNotesView, AccountTimelineView
from accounts.api.views import AccountDeletionViewSet, AccountViewSet
from audit.api.views import AuditEventsView
from health.api.views import (
    AccountHealthHistoryView,
    AccountHealthView,
    HealthMetricsView,
    HealthOverrideViewSet,
    ScorecardViewSet,
)
from integrations.api.views import WebhookDeliveryViewSet, WebhookSubscriptionViewSet
from maturity.api.views import AssessmentViewSet, FrameworkViewSet, SurveyLinkViewSet
from outcomes.api.views import BacktestView, CalibrationView, OutcomesView
from playbooks.api.views import PlaybookViewSet, RunViewSet, TaskViewSet
from segments.api.views import AccountNextMovesView, GridSummaryView, MigrationFeedView
from tenancy.api.views import MemberViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("account-deletions", AccountDeletionViewSet, basename="account-deletion")
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("playbooks", PlaybookViewSet, basename="playbook")
router.register("playbook-runs", RunViewSet, basename="playbook-run")
router.register("playbook-tasks", TaskViewSet, basename="playbook-task")
router.register("members", MemberViewSet, basename="member")
router.register("health-overrides", HealthOverrideViewSet, basename="health-override")
router.register("survey-links", SurveyLinkViewSet, basename="survey-link")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("audit-events/", AuditEventsView.as_view(), name="audit-events"),
    path("health-metrics/", HealthMetricsView.as_view(), name="health-metrics"),
    path(
        "accounts/<int:account_pk>/health/",
        AccountHealthView.as_view(),
        name="account-health",
    ),
    path(
        "accounts/<int:account_pk>/health/history/",
        AccountHealthHistoryView.as_view(),
        name="account-health-history",
    ),
    path("accounts/<int:account_pk>/notes/", AccountNotesView.as_view(), name="account-notes"),
    path(
        "accounts/<int:account_pk>/timeline/",
        AccountTimelineView.as_view(),
        name="account-timeline",
    ),
    path(
        "accounts/<int:account_pk>/next-moves/",
        AccountNextMovesView.as_view(),
        name="account-next-moves",
    ),
    path("segments/grid/", GridSummaryView.as_view(), name="segments-grid"),
    path("migrations/", MigrationFeedView.as_view(), name="migrations"),
    path("outcomes/", OutcomesView.as_view(), name="outcomes"),
    path("insights/backtest/", BacktestView.as_view(), name="insights-backtest"),
    path("insights/calibration/", CalibrationView.as_view(), name="insights-calibration"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
