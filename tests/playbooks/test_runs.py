"""Runs start from migrations: the matching playbooks, once; cool-down; supersession."""

from datetime import timedelta

import pytest
from django.utils import timezone

from playbooks.models import Playbook, PlaybookRun, PlaybookTask
from playbooks.services import run_start, steps_replace
from tests.recomputing import recompute_run

from ..factories import AccountFactory
from .conftest import CHURN, EXPAND, RETAIN, SAVE

pytestmark = pytest.mark.django_db


def runs(org, in_tenant, **filters):
    with in_tenant(org):
        return sorted(
            PlaybookRun.objects.filter(**filters).values_list(
                "account__name", "playbook__key", "status", "trigger"
            )
        )


def test_a_migration_starts_exactly_the_matching_playbooks_once(
    org_a, account_a, bob, defaults, move, in_tenant
):
    move(account_a, *EXPAND)
    for _ in range(2):  # redelivered and duplicated recomputes change nothing
        recompute_run(str(org_a.id), [account_a.pk], ["test", None])
    recompute_run(str(org_a.id), None, ["scorecard", 1])
    assert runs(org_a, in_tenant) == [("Acme (A)", "expand_business", "active", "migration")]
    with in_tenant(org_a):
        run = PlaybookRun.objects.select_related("migration").get()
        tasks = list(run.tasks.order_by("position"))
        steps = list(defaults["expand_business"].steps.order_by("position"))
    start = timezone.localdate(run.started_at)
    assert run.segment == "expand_and_leverage" and run.migration.to_segment == run.segment
    assert [t.title for t in tasks] == [s.title for s in steps]
    assert [t.due_on for t in tasks] == [start + timedelta(days=s.due_offset_days) for s in steps]
    # the account's CSM gets the CSM steps; the manager step waits for any manager
    assert [t.assignee_id for t in tasks] == [
        None if s.owner_role == "manager" else bob.pk for s in steps
    ]
    assert {s.owner_role for s in steps} == {"csm", "manager"}


def test_targeting_by_tier_industry_and_size(org_a, defaults, move, in_tenant):
    with in_tenant(org_a):
        narrow = Playbook.objects.create(
            organization=org_a,
            name="Enterprise defence, high maturity",
            cells=["expand_and_leverage"],
            tiers=["High"],
            isic_codes=["8422"],
            size_bands=["enterprise"],
        )
        steps_replace(playbook=narrow, steps=[{"title": "Call the sponsor"}])
    fits = AccountFactory(organization=org_a, name="Fits", isic_code="8422", size_band="enterprise")
    small = AccountFactory(organization=org_a, name="Small", isic_code="8422", size_band="small")
    other = AccountFactory(
        organization=org_a, name="Other", isic_code="4651", size_band="enterprise"
    )
    for account in (fits, small, other):
        move(account, *EXPAND)
    assert runs(org_a, in_tenant, playbook=narrow) == [("Fits", "", "active", "migration")]
    assert len(runs(org_a, in_tenant, playbook__key="expand_business")) == 3


def test_leaving_the_cell_supersedes_the_run_and_keeps_it(
    org_a, account_a, defaults, move, in_tenant
):
    move(account_a, *EXPAND)
    move(account_a, *SAVE)
    assert runs(org_a, in_tenant) == [
        ("Acme (A)", "expand_business", "superseded", "migration"),
        ("Acme (A)", "tailored_training", "active", "migration"),
    ]
    with in_tenant(org_a):
        old = PlaybookRun.objects.get(playbook__key="expand_business")
        assert old.ended_at is not None and old.tasks.count() == 4
        assert old.tasks.filter(status=PlaybookTask.Status.OPEN).count() == 4


def test_flapping_within_the_cool_down_starts_no_duplicate(
    org_a, account_a, defaults, move, in_tenant
):
    move(account_a, *EXPAND)
    move(account_a, *SAVE)
    move(account_a, *EXPAND)  # back within 30 days: the first run resumes
    move(account_a, *SAVE)
    move(account_a, *EXPAND)
    assert runs(org_a, in_tenant) == [
        ("Acme (A)", "expand_business", "active", "migration"),
        ("Acme (A)", "tailored_training", "superseded", "migration"),
    ]
    with in_tenant(org_a):
        Playbook.objects.filter(key="tailored_training").update(cooldown_days=0)
    move(account_a, *SAVE)  # no cool-down left: a second training run starts
    assert runs(org_a, in_tenant, playbook__key="tailored_training") == [
        ("Acme (A)", "tailored_training", "active", "migration"),
        ("Acme (A)", "tailored_training", "superseded", "migration"),
    ]


def test_an_old_run_outside_the_cool_down_does_not_block_a_new_one(
    org_a, account_a, defaults, move, in_tenant
):
    move(account_a, *CHURN)
    with in_tenant(org_a):
        PlaybookRun.objects.update(started_at=timezone.now() - timedelta(days=31))
    move(account_a, *RETAIN)
    move(account_a, *CHURN)
    assert runs(org_a, in_tenant, playbook__key="let_churn") == [
        ("Acme (A)", "let_churn", "active", "migration"),
        ("Acme (A)", "let_churn", "superseded", "migration"),
    ]


def test_an_inactive_playbook_starts_nothing(org_a, account_a, defaults, move, in_tenant):
    with in_tenant(org_a):
        Playbook.objects.filter(key="expand_business").update(is_active=False)
    move(account_a, *EXPAND)
    assert runs(org_a, in_tenant) == []


def test_starting_by_hand_refuses_a_second_active_run(org_a, account_a, mike, defaults, in_tenant):
    from django.core.exceptions import ValidationError

    with in_tenant(org_a):
        run = run_start(playbook=defaults["let_churn"], account=account_a, by=mike)
        assert (run.trigger, run.started_by, run.tasks.count()) == ("manual", mike, 3)
        with pytest.raises(ValidationError, match="already running"):
            run_start(playbook=defaults["let_churn"], account=account_a, by=mike)
