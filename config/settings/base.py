"""Settings, read from the environment.

With no environment at all, Ascend runs on a SQLite file and runs tasks in-process,
so `make demo` works on a bare machine. Set DATABASE_URL (the application role) and
CELERY_BROKER_URL to run on PostgreSQL with real workers; DATABASE_OWNER_URL names the
role that owns the tables and runs migrations.
"""

from datetime import timedelta
from pathlib import Path

import environ
import pghistory
import plotly
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",  # only for AbstractAPIKey; its own APIKey table is sealed by RLS
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_scopes",
    "csp",
    "axes",
    "pgtrigger",
    "pghistory",
    "core",
    "tenancy",
    "accounts",
    "maturity",
    "health",
    "segments",
    "recompute",
    "outcomes",
    "playbooks",
    "integrations",
    "audit",
    "scim",
    "sso",
    "demo",
]

# The audit trail (core.audit): each event keeps its actor on its own row, as JSON, rather
# than in pghistory's shared context table, which no tenant policy could cover.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=400)

MIDDLEWARE = [
    "core.problems.RequestIdMiddleware",
    "core.problems.QueryParametersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "tenancy.idempotency.IdempotencyMiddleware",
    "tenancy.api.throttling.RateLimitHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a refused sign-in into the lock-out page
]

# Content Security Policy (django-csp): scripts only from this site, each tag with the
# request's nonce; no inline script or handler runs. Styles may be inline: plotly and Swagger
# UI write style rules at run time.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords, from one address
# or for one email, sign-in is refused for AXES_COOLOFF_MINUTES. Neither lock lasts: a
# stranger guessing at someone's email holds them out for one cool-off at most, and a right
# password resets that email's count. Attempts are rows in PostgreSQL, not in Redis, so a
# broker outage never blocks signing in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sso.backend.OrganizationOIDCBackend",  # only on /sso/callback/
]
# Single sign-on (sso): mozilla-django-oidc's code flow, with PKCE and a nonce; each
# organization's provider, client and keys come from its identity settings.
OIDC_USE_PKCE = True
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile groups"
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_TIMEOUT = 10
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "tenancy.views.signin_email"  # one count per email, whatever its case
AXES_LOCKOUT_CALLABLE = "tenancy.views.signin_paused"
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.tenancy",
                "playbooks.context_processors.task_counts",
                "accounts.context_processors.saved_views",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Dashboard aggregates sort 100,000-row sets; 4 MB (the default) spills them to disk.
    work_mem = env.str("DATABASE_WORK_MEM", default="32MB")
    # PostgreSQL's default (4) prices a random read as on a spinning disk, so it walks the
    # primary key through every newer tenant's rows rather than read a tenant's page from
    # its (organization, id) index: 186 ms instead of 0.1 ms behind a 300,000-account tenant.
    page_cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c work_mem={work_mem} -c random_page_cost={page_cost}"
    )
# The role that owns the tables. `migrate` switches to it; the app never uses it otherwise.
_owner_url = env.str("DATABASE_OWNER_URL", default="")
DATABASE_OWNER = environ.Env.db_url_config(_owner_url) if _owner_url else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ascend <noreply@ascend.local>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js ships inside the plotly wheel; serve that copy instead of a CDN.
    ("vendor/plotly", Path(plotly.__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"]:  # fail fast, never hang a request on a dead Redis
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=2, socket_timeout=2)
    # ...and an unreachable Redis is a cache miss, never a 500 (core.cache).
    CACHES["default"]["BACKEND"] = "core.cache.RedisCacheOrMiss"

# Celery: JSON only, acknowledged after the task finishes, bounded in time.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A late-acked task is redelivered after this; retries must never wait longer.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # A web request nudging a dead broker gives up at once; the outbox keeps the work.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# How often beat drains every tenant's recompute outbox (what a failed nudge left behind).
RECOMPUTE_SWEEP_SECONDS = env.float("RECOMPUTE_SWEEP_SECONDS", default=30)
# Submissions for an account recomputed within the last second wait this long, then share one.
RECOMPUTE_DEBOUNCE_SECONDS = env.float("RECOMPUTE_DEBOUNCE_SECONDS", default=0.5)
# A tenant-wide recompute runs as parts of this many accounts, one task each (recompute.tasks).
RECOMPUTE_PART_ACCOUNTS = env.int("RECOMPUTE_PART_ACCOUNTS", default=100_000)
# The sweep publishes again a part no task has taken this long after it was published.
RECOMPUTE_PART_REPUBLISH_SECONDS = env.float("RECOMPUTE_PART_REPUBLISH_SECONDS", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

FILTERS_EMPTY_CHOICE_LABEL = "All"  # a filter left alone, in django-filter's selects

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenancy.api.permissions.IsOrganizationMember"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # OPTIONS answers without introspecting views (which fails on list-level PUT actions).
    "DEFAULT_METADATA_CLASS": None,
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",
        "core.api.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["tenancy.api.throttling.ApiKeyRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ascend API",
    "DESCRIPTION": "Customer Health Score × Customer Maturity Index, for CRM integrations.",
    "VERSION": "1.0.0",
    "LICENSE": {"name": "Proprietary", "url": "https://ascend.example/terms/"},
    "SERVERS": [{"url": "/", "description": "This Ascend server"}],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # What a client sends and what it receives are two models: no client has to send `id`.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OutcomeKindEnum": "outcomes.models.Outcome.Kind",
        "OutcomeSourceEnum": "outcomes.models.Outcome.Source",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
        "core.api.allow_empty_query_values",
        "core.api.add_component_constraints",
        "core.api.blank_text_once",
        "core.api.add_partial_bulk",
        "core.api.add_links",
        "integrations.api.payloads.webhooks_published",
    ],
    # What Ascend POSTs to a subscribed endpoint, one entry per event.
    "WEBHOOKS": "integrations.api.payloads.WEBHOOKS",
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1200/min")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.problems.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Large CSV uploads (tens of thousands of accounts) are read in memory by pandas.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# The largest JSON body the API reads (a full bulk request is well under 1 MB); larger is 413.
API_BODY_MAX_BYTES = env.int("API_BODY_MAX_BYTES", default=5 * 1024 * 1024)

# The role the app connects as: no superuser, no table ownership, no BYPASSRLS.
APP_DATABASE_ROLE = DATABASES["default"].get("USER") if DATABASE_OWNER else None

# Beat relays a pending delivery this long past its due time (its task was lost), this often.
WEBHOOK_RELAY_GRACE_SECONDS = env.float("WEBHOOK_RELAY_GRACE_SECONDS", default=60)
WEBHOOK_RELAY_SECONDS = env.float("WEBHOOK_RELAY_SECONDS", default=60)
# The account list's bulk actions (a playbook started on each): up to this many accounts in
# the request, more as one job a worker does with progress (accounts.bulk).
BULK_INLINE_ACCOUNTS = env.int("BULK_INLINE_ACCOUNTS", default=200)
# Imports: how often beat relays a job whose task was lost, how long after its send, and
# when a job never finished is marked failed (accounts.jobs.jobs_relay).
IMPORT_RELAY_SECONDS = env.float("IMPORT_RELAY_SECONDS", default=60)
IMPORT_RELAY_GRACE_SECONDS = env.float("IMPORT_RELAY_GRACE_SECONDS", default=120)
IMPORT_STUCK_SECONDS = env.float("IMPORT_STUCK_SECONDS", default=3600)

CELERY_BEAT_SCHEDULE = {
    "recompute-nightly": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": crontab(hour=2, minute=0),
        "args": ["recompute.tasks.nightly"],
    },
    "recompute-sweep": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": RECOMPUTE_SWEEP_SECONDS,
        "args": ["recompute.tasks.sweep"],
    },
    "playbooks-daily": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": crontab(hour=6, minute=0),
        "args": ["playbooks.tasks.daily"],
    },
    "recompute-lapse-overrides": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": 15 * 60,
        "args": ["recompute.tasks.lapse_overrides"],
    },
    "jobs-relay": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": IMPORT_RELAY_SECONDS,
        "args": ["accounts.tasks.jobs_relay"],
    },
    "audit-prune": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": crontab(hour=3, minute=30),
        "args": ["audit.tasks.audit_prune"],
    },
    "webhooks-relay": {
        "task": "tenancy.tasks.for_each_organization",
        "schedule": WEBHOOK_RELAY_SECONDS,
        "args": ["integrations.tasks.relay"],
    },
}

# Links in emails point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The daily playbook digest: overdue and due-today tasks, mailed to whoever has some.
PLAYBOOK_DIGEST_EMAILS = env.bool("PLAYBOOK_DIGEST_EMAILS", default=True)

# Networks webhooks may reach besides the public internet (and over plain http): none in
# production; loopback for the demo and local receivers.
WEBHOOK_ALLOWED_NETWORKS = env.list(
    "WEBHOOK_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"] if DEBUG else []
)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3000)
