"""Outcome figures on a constructed history whose answer is known."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from health.models import HealthSnapshot
from maturity.models import Assessment
from maturity.services import assessment_create
from playbooks.models import Playbook, PlaybookRun
from playbooks.outcomes import playbook_outcomes
from segments.models import TierMigration

from ..conftest import uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
T0 = NOW - timedelta(days=60)
DAY = timedelta(days=1)


@pytest.fixture
def history(org_a, cmi_framework, in_tenant):
    """Five runs started at T0 in Save, six comparable accounts in Save, and distractors."""
    with in_tenant(org_a):
        playbook = Playbook.objects.create(organization=org_a, name="Train", cells=["save"])
        accounts = {}

        def account(name, cell="save"):
            accounts[name] = AccountFactory(organization=org_a, name=name, segment=cell)
            migrate(name, "", cell, T0 - DAY)
            return accounts[name]

        def migrate(name, before, after, at):
            TierMigration.objects.create(
                organization=org_a,
                account=accounts[name],
                from_segment=before,
                to_segment=after,
                occurred_at=at,
            )
            accounts[name].segment = after
            accounts[name].save()

        def cmi(name, value, at):
            made = assessment_create(
                account=accounts[name], framework=cmi_framework, answers=uniform(3), by=None
            )
            Assessment.objects.filter(pk=made.pk).update(cmi=value, submitted_at=at)

        def chs(name, value, at):
            HealthSnapshot.objects.create(
                organization=org_a,
                account=accounts[name],
                score=value,
                level="",
                completeness=1,
                taken_at=at,
            )

        def run(name, at, status="active"):
            PlaybookRun.objects.create(
                organization=org_a,
                playbook=playbook,
                account=accounts[name],
                segment="save",
                trigger="migration",
                started_at=at,
                status=status,
            )

        for name in ("R1", "R2", "R3", "R4", "R5"):
            account(name)
        run("R1", T0, "completed")
        run("R2", T0, "superseded")
        for name in ("R3", "R4", "R5"):
            run(name, T0)
        cmi("R1", 2.0, T0 - 2 * DAY)
        cmi("R1", 3.0, T0 + 10 * DAY)  # CMI rose within 30 days
        chs("R2", 30, T0 - DAY)
        chs("R2", 40, T0 + 20 * DAY)  # CHS rose
        migrate("R3", "save", "expand_and_leverage", T0 + 5 * DAY)  # a better cell
        migrate("R4", "save", "churn", T0 + 5 * DAY)  # a worse one: not improved
        cmi("R5", 2.0, T0 - 2 * DAY)
        cmi("R5", 4.0, T0 + 40 * DAY)  # rose, but after the window

        for name in ("C1", "C2", "C3", "C4", "C5", "C6"):
            account(name)
        chs("C1", 30, T0 - DAY)
        chs("C1", 50, T0 + 3 * DAY)  # the one comparable account that improved

        account("Z")  # in Save, but its own run of the playbook starts within the window
        run("Z", T0 + 10 * DAY)
        account("Elsewhere", "core")  # not in Save: not comparable
        chs("Elsewhere", 10, T0 - DAY)
        chs("Elsewhere", 90, T0 + DAY)
        account("Late")  # entered Save only after T0: not comparable
        TierMigration.objects.filter(account=accounts["Late"]).update(
            occurred_at=T0 + DAY, from_segment="core"
        )
        account("Recent")  # entered Save lately; its run's 30 days have not passed
        TierMigration.objects.filter(account=accounts["Recent"]).update(
            occurred_at=NOW - 6 * DAY, from_segment="core"
        )
        run("Recent", NOW - 5 * DAY)
    return playbook


def test_the_figures_match_the_constructed_history(history, org_a, in_tenant):
    with in_tenant(org_a):
        outcomes = playbook_outcomes(
            playbook=history,
            start=(T0 - DAY).date(),
            end=(T0 + DAY).date(),
            window_days=30,
            now=NOW,
        )
    assert (outcomes.started, outcomes.completed, outcomes.superseded) == (5, 1, 1)
    assert outcomes.runs.count == 5
    assert outcomes.runs.improved == {"any": 3, "cmi": 1, "chs": 1, "segment": 1}
    assert outcomes.comparable.count == 6
    assert outcomes.comparable.improved == {"any": 1, "cmi": 0, "chs": 1, "segment": 0}
    assert outcomes.comparable_enough
    assert outcomes.verdict == (
        "Accounts with a run improved 43 points more often than comparable accounts without one."
    )


def test_a_longer_window_counts_the_later_rise(history, org_a, in_tenant):
    with in_tenant(org_a):
        outcomes = playbook_outcomes(
            playbook=history,
            start=(T0 - DAY).date(),
            end=(T0 + DAY).date(),
            window_days=45,
            now=NOW,
        )
    assert outcomes.runs.improved["any"] == 4  # R5's CMI rose on day 40


def test_too_little_data_is_said_plainly(history, org_a, in_tenant):
    with in_tenant(org_a):
        outcomes = playbook_outcomes(
            playbook=history, start=(NOW - 10 * DAY).date(), end=NOW.date(), window_days=30, now=NOW
        )
    assert (outcomes.started, outcomes.runs.count) == (1, 0)
    assert not outcomes.comparable_enough
    assert outcomes.verdict.startswith("Too little data to compare: 0 run(s)")


def test_the_playbook_page_shows_the_outcomes_and_their_chart(history, mike, client_for):
    response = client_for(mike).get(
        reverse("playbooks:detail", args=[history.pk]),
        {"start": (T0 - DAY).date(), "end": (T0 + DAY).date(), "window_days": 30},
    )
    page = response.content.decode()
    assert "43 points more often" in page
    assert 'id="outcome-chart"' in page and "playbook-charts" in page
    bad = client_for(mike).get(
        reverse("playbooks:detail", args=[history.pk]),
        {"start": NOW.date(), "end": (T0).date(), "window_days": 30},
    )
    assert "The period ends before it starts." in bad.content.decode()
