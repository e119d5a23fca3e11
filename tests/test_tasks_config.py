"""What every Celery task of Ascend promises the broker: acknowledged late, redelivered if
its worker dies, and never scheduled or running past the broker's visibility timeout (Redis
would hand it to a second worker while the first still holds it)."""

import pytest
from django.conf import settings

from config.celery import app
from integrations.services import retry_delay

VISIBILITY = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
OURS = (
    "accounts.",
    "audit.",
    "maturity.",
    "health.",
    "segments.",
    "recompute.",
    "playbooks.",
    "integrations.",
    "tenancy.",
)


def our_tasks():
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith(OURS))


def test_the_apps_register_their_tasks():
    assert {
        "recompute.tasks.drain",
        "recompute.tasks.sweep",
        "recompute.tasks.recompute_part",
    } <= set(our_tasks())


def test_beat_sends_only_tasks_that_exist():
    """for_each_organization sends its task by name: a misspelt one would be lost in silence."""
    names = set(our_tasks())
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in names
        if entry["task"] == "tenancy.tasks.for_each_organization":
            assert entry["args"][0] in names


@pytest.mark.parametrize("name", our_tasks())
def test_every_task_is_acknowledged_late_and_redelivered_when_its_worker_dies(name):
    task = app.tasks[name]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


def test_no_task_runs_longer_than_the_visibility_timeout():
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < VISIBILITY


@pytest.mark.parametrize("attempt", range(1, 40))
def test_no_webhook_retry_waits_past_the_visibility_timeout(attempt):
    assert 0 < retry_delay(attempt) < VISIBILITY


def test_the_recompute_debounce_and_sweep_stay_far_below_the_visibility_timeout():
    assert settings.RECOMPUTE_DEBOUNCE_SECONDS < 5
    assert settings.RECOMPUTE_SWEEP_SECONDS < VISIBILITY
