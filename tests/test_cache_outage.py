"""With the cache's Redis unreachable, pages, the API and imports still answer: a miss."""

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.jobs import job_guarded
from accounts.models import ImportJob
from accounts.services import import_job_run

from .accounts.test_import import GOOD

pytestmark = pytest.mark.django_db

UNREACHABLE = {  # nothing listens on port 1 of loopback: every connection is refused
    "default": {
        "BACKEND": "core.cache.RedisCacheOrMiss",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def cache_down():
    with override_settings(CACHES=UNREACHABLE):
        from django.core.cache import cache

        with pytest.raises(Exception):  # noqa: B017 - the plain client fails, as it did
            cache._cache.get_client().ping()
        yield


def test_the_pages_that_read_the_cache_answer_200(
    cache_down, client_for, mike, account_a, org_a, in_tenant
):
    with in_tenant(org_a):
        job = ImportJob.objects.create(organization=org_a, filename="f.csv", content=GOOD)
    client = client_for(mike)
    for url in (
        "/accounts/",  # its filter choices are cached
        f"/accounts/{account_a.pk}/",
        "/segments/",
        reverse("recompute:status"),
        reverse("accounts:import_detail", args=[job.pk]),
        reverse("accounts:import_status", args=[job.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_api_answers_200(cache_down, key_for, org_a, account_a):
    assert key_for(org_a).get("/api/v1/accounts/").status_code == 200


def test_an_import_runs_to_the_end_without_its_progress(cache_down, org_a, bob, in_tenant):
    with in_tenant(org_a):
        job = ImportJob.objects.create(organization=org_a, filename="f.csv", content=GOOD)
        job_guarded(ImportJob, job.pk, import_job_run)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE and job.created_count == 2
