"""The account timeline: notes with mentions, and what every app records, newest first."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Note
from accounts.timeline import account_timeline
from health.models import MetricValue
from outcomes.models import Outcome
from outcomes.services import outcomes_record
from recompute.pipeline import accounts_recompute

from ..conftest import uniform

pytestmark = pytest.mark.django_db


def test_a_note_mentions_members_and_emails_them(
    org_a,
    account_a,
    bob,
    mike,
    client_for,
    mailoutbox,
    django_capture_on_commit_callbacks,
    in_tenant,
):
    url = reverse("accounts:note_create", args=[account_a.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(url, {"body": "Renewal call went badly, @mike take a look"})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    with in_tenant(org_a):
        note = Note.objects.get()
    assert note.mentions == [mike.pk] and note.author == bob
    [mail] = mailoutbox
    assert mail.to == ["mike@alpha.test"] and "Renewal call went badly" in mail.body
    page = client_for(mike).get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    timeline = page[page.index('id="timeline-entries"') :]
    assert "Renewal call went badly, @mike take a look" in timeline


def test_a_mention_by_full_email_or_unknown_name(org_a, account_a, bob, mike, alice, in_tenant):
    from accounts.services import mentioned_members

    with in_tenant(org_a):
        assert mentioned_members("cc @alice@alpha.test and @mike.") == [alice.pk, mike.pk]
        assert mentioned_members("ask @nobody, mail me@alpha.test") == []


def test_an_empty_note_is_a_form_error_and_a_viewer_cannot_write(
    org_a, account_a, bob, vera, client_for, in_tenant
):
    url = reverse("accounts:note_create", args=[account_a.pk])
    response = client_for(bob).post(url, {"body": "   "})
    assert response.status_code == 200 and "Write the note first." in response.content.decode()
    assert client_for(vera).post(url, {"body": "Hi"}).status_code == 403
    with in_tenant(org_a):
        assert not Note.objects.exists()


def test_another_organizations_account_takes_no_note(
    account_a, carol, client_for, org_a, in_tenant
):
    url = reverse("accounts:note_create", args=[account_a.pk])
    assert client_for(carol).post(url, {"body": "Hi"}).status_code == 404
    with in_tenant(org_a):
        assert not Note.objects.exists()


@pytest.fixture
def history(org_a, account_a, placed, mike, in_tenant):
    """Acme assessed, placed, its NPS dropped, reassigned and renewed."""
    placed(account_a, nps=50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute()
        MetricValue.objects.create(
            organization=org_a,
            account=account_a,
            metric="nps",
            number=-40,
            observed_at=timezone.now(),
            source="api",
        )
        accounts_recompute()
        from accounts.services import account_update

        account_update(account=account_a, owner_csm=mike)
        outcomes_record(
            organization=org_a,
            outcomes=[
                Outcome(
                    account=account_a,
                    kind="renewed",
                    occurred_on=timezone.localdate(),
                    arr_before=100,
                    arr_after=100,
                )
            ],
            source="manual",
            by=mike,
        )
    return account_a


def test_the_timeline_holds_what_each_app_records_newest_first(history, org_a, in_tenant):
    with in_tenant(org_a):
        entries = account_timeline(history)
    kinds = {entry.kind for entry in entries}
    assert {"assessment", "cell", "chs", "reassigned", "outcome"} <= kinds
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    reassigned = next(e for e in entries if e.kind == "reassigned")
    assert "to mike@alpha.test" in reassigned.detail or "to Mike" in reassigned.detail


def test_a_chs_change_says_which_inputs_moved_it(history, org_a, in_tenant):
    with in_tenant(org_a):
        [change] = [e for e in account_timeline(history, kinds={"chs"})]
    name, before, after, points = change.changes[0]
    assert "NPS" in name and before == "50" and after == "-40" and points < 0
    old, new = (float(x) for x in change.title.removeprefix("CHS ").split(" (")[0].split(" → "))
    assert new - old == pytest.approx(sum(c[3] for c in change.changes), abs=1.1)  # rounding


def test_the_timeline_filters_by_kind(history, mike, client_for):
    page = (
        client_for(mike)
        .get(reverse("accounts:detail", args=[history.pk]), {"timeline": "cell"})
        .content.decode()
    )
    timeline = page[page.index('id="timeline-entries"') :].split("</ol>")[0]
    assert 'data-kind="cell"' in timeline
    assert 'data-kind="assessment"' not in timeline and 'data-kind="chs"' not in timeline
