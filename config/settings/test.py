"""Tests run against the real PostgreSQL and Redis on localhost, as the application role."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://ascend_app@127.0.0.1:5432/ascend")
os.environ.setdefault("DATABASE_OWNER_URL", "postgres://ascend_owner@127.0.0.1:5432/ascend")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/10")
os.environ.setdefault("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
os.environ.setdefault("WEBHOOK_RETRY_BASE_SECONDS", "0.3")

from .base import *  # noqa: F403

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
