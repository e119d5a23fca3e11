"""Outcomes in: the API, a CSV and the account page, all through outcomes.validation, all or
nothing; a churn moves its account to the churned stage and the dashboard leaves it out."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ImportJob
from integrations.models import WebhookDelivery
from integrations.services import subscription_create
from outcomes.models import Outcome
from outcomes.services import outcomes_import_run

from ..problems import errors

pytestmark = pytest.mark.django_db


def stored(org, in_tenant):
    with in_tenant(org):
        return list(
            Outcome.objects.order_by("id").values_list("account_id", "kind", "arr_after", "source")
        )


def yesterday() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def test_the_api_records_outcomes_by_id_and_crm_id_and_announces_them(
    key_for, org_a, account_a, in_tenant
):
    with in_tenant(org_a):
        subscription_create(
            organization=org_a, url="https://hooks.example/h", events=["outcome.created"]
        )
        other = Account.objects.create(organization=org_a, name="Other", external_id="O-1")
    items = [
        {
            "account": account_a.pk,
            "kind": "churned",
            "occurred_on": yesterday(),
            "arr_before": "1200.00",
            "arr_after": "0",
            "reason": "Budget cut",
        },
        {
            "external_id": "O-1",
            "kind": "expanded",
            "occurred_on": "2026-01-31",
            "arr_before": "100",
            "arr_after": "150.50",
        },
    ]
    response = key_for(org_a).post("/api/v1/outcomes/", items, format="json")
    assert response.status_code == 201 and response.json() == {"created": 2}
    assert [(a, k, str(v), s) for a, k, v, s in stored(org_a, in_tenant)] == [
        (account_a.pk, "churned", "0.00", "api"),
        (other.pk, "expanded", "150.50", "api"),
    ]
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).lifecycle_stage == "churned"
        assert Account.objects.get(pk=other.pk).lifecycle_stage != "churned"
        payloads = [d.payload for d in WebhookDelivery.objects.filter(event="outcome.created")]
    assert sorted(p["kind"] for p in payloads) == ["churned", "expanded"]
    assert {p["external_id"] for p in payloads} == {account_a.external_id, "O-1"}

    listed = key_for(org_a).get("/api/v1/outcomes/", {"account": account_a.pk}).json()
    assert [o["kind"] for o in listed["results"]] == ["churned"]
    since = key_for(org_a).get("/api/v1/outcomes/", {"since": "2026-02-01"}).json()
    assert [o["account"] for o in since["results"]] == [account_a.pk]


def test_one_bad_item_rejects_the_batch_with_messages_aligned_to_the_items(
    key_for, org_a, account_a, account_b, in_tenant
):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    good = {"kind": "renewed", "occurred_on": yesterday(), "arr_before": "10", "arr_after": "10"}
    items = [
        {"account": account_a.pk, **good},
        {"account": account_b.pk, **good},  # another tenant's
        {"external_id": "nope", **good, "kind": "lost"},
        {"account": account_a.pk, **good, "occurred_on": tomorrow},
        {"account": account_a.pk, **good, "kind": "churned"},  # ARR kept after a churn
        {"account": account_a.pk, **good, "arr_before": 10, "occurred_on": "31/01/2026"},
        {**good},
        {"account": account_a.pk, **good, "kind": "contracted", "arr_after": "12"},
    ]
    response = key_for(org_a).post("/api/v1/outcomes/", items, format="json")
    assert response.status_code == 400
    report = errors(response)
    assert not any(where.startswith("0/") for where in report)
    assert report["1/account"] == ["No such account."]
    assert {w for w in report if w.startswith("2/")} == {"2/external_id", "2/kind"}
    assert report["3/occurred_on"] == ["This is in the future."]
    assert report["4/arr_after"] == ["A churned account keeps no ARR: give 0."]
    assert {w for w in report if w.startswith("5/")} == {"5/arr_before", "5/occurred_on"}
    assert report["6/account"] == ["Give the account's id or its external_id."]
    assert "contraction" in report["7/arr_after"][0]
    assert stored(org_a, in_tenant) == []
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).lifecycle_stage != "churned"


@pytest.mark.parametrize("body", [{}, [], "x", [1], [None]])
def test_malformed_bodies_are_400_and_write_nothing(body, key_for, org_a, in_tenant):
    assert key_for(org_a).post("/api/v1/outcomes/", body, format="json").status_code == 400
    assert stored(org_a, in_tenant) == []


def test_a_csm_records_outcomes_of_their_own_accounts_only(
    bob, org_a, account_a, in_tenant, client_for
):
    from rest_framework.test import APIClient

    with in_tenant(org_a):
        theirs = Account.objects.create(organization=org_a, name="Not Bob's")
    item = {"kind": "renewed", "occurred_on": yesterday(), "arr_before": "1", "arr_after": "1"}
    api = APIClient()
    api.force_login(bob)
    refused = api.post("/api/v1/outcomes/", [{"account": theirs.pk, **item}], format="json")
    assert refused.status_code == 403
    assert client_for(bob).get(reverse("outcomes:add", args=[theirs.pk])).status_code == 403
    mine = api.post("/api/v1/outcomes/", [{"account": account_a.pk, **item}], format="json")
    assert mine.status_code == 201
    assert [a for a, *_ in stored(org_a, in_tenant)] == [account_a.pk]


def test_another_organizations_account_is_404_everywhere(
    key_for, org_b, account_a, carol, client_for, in_tenant, org_a
):
    item = {"kind": "renewed", "occurred_on": yesterday(), "arr_before": "1", "arr_after": "1"}
    response = key_for(org_b).post("/api/v1/outcomes/", [{"account": account_a.pk, **item}])
    assert response.status_code == 404
    assert client_for(carol).get(reverse("outcomes:add", args=[account_a.pk])).status_code == 404
    assert stored(org_a, in_tenant) == []


def test_the_account_page_records_an_outcome_and_keeps_what_was_typed_on_error(
    bob, org_a, account_a, in_tenant, client_for
):
    client = client_for(bob)
    page = client.get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    assert "Record renewal outcome" in page
    url = reverse("outcomes:add", args=[account_a.pk])
    typed = {
        "kind": "churned",
        "occurred_on": yesterday(),
        "arr_before": "900",
        "arr_after": "50",
        "reason": "Moved to a rival",
    }
    refused = client.post(url, typed)
    assert refused.status_code == 200
    form = refused.context["form"]
    assert form.errors == {"arr_after": ["A churned account keeps no ARR: give 0."]}
    assert (
        'value="900"' in refused.content.decode() and "Moved to a rival" in refused.content.decode()
    )
    assert stored(org_a, in_tenant) == []
    done = client.post(url, typed | {"arr_after": "0"})
    assert done.status_code == 302
    assert stored(org_a, in_tenant) == [(account_a.pk, "churned", 0, "manual")]
    page = client.get(reverse("accounts:detail", args=[account_a.pk])).content.decode()
    assert "Moved to a rival" in page


def test_the_dashboard_leaves_churned_accounts_out_unless_asked(mike, org_a, in_tenant, client_for):
    with in_tenant(org_a):
        Account.objects.create(organization=org_a, name="Gone", lifecycle_stage="churned")
        Account.objects.create(organization=org_a, name="Here", lifecycle_stage="adoption")
    client = client_for(mike)
    assert client.get("/segments/").context["count"] == 1
    assert client.get("/segments/", {"lifecycle_stage": "all"}).context["count"] == 2
    assert client.get("/segments/", {"lifecycle_stage": "churned"}).context["count"] == 1


CSV = (
    "external_id,kind,occurred_on,arr_before,arr_after,reason\n"
    "{ext},renewed,2026-06-30,100,100,\n"
    "{ext},churned,2026-07-01,100,0,Budget\n"
    "nope,renewed,2026-07-01,100,100,\n"
    "{ext},won,2999-01-01,abc,100,\n"
)


def test_a_csv_with_bad_lines_reports_each_and_writes_nothing(org_a, account_a, in_tenant):
    with in_tenant(org_a):
        job = ImportJob.objects.create(
            organization=org_a,
            kind="outcomes",
            filename="o.csv",
            content=CSV.format(ext=account_a.external_id),
        )
        job = outcomes_import_run(job=job)
    assert job.status == "rejected"
    assert [(e["line"], e["column"]) for e in job.errors] == [
        (4, "external_id"),
        (5, "kind"),
        (5, "occurred_on"),
        (5, "arr_before"),
    ]
    assert stored(org_a, in_tenant) == []


def test_a_csv_of_good_rows_is_imported_through_the_browser_and_a_worker(
    worker, mike, org_a, account_a, client_for, in_tenant
):
    from ..conftest import wait_for

    good = "\n".join(CSV.format(ext=account_a.external_id).splitlines()[:3]) + "\n"
    upload = SimpleUploadedFile("o.csv", good.encode(), content_type="text/csv")
    client = client_for(mike)
    response = client.post(reverse("outcomes:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 302

    def finished():
        """the worker ran the outcome import"""
        return client.get(response["Location"] + "status/").json()["finished"]

    wait_for(finished)
    assert [k for _, k, _, s in stored(org_a, in_tenant)] == ["renewed", "churned"]
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).lifecycle_stage == "churned"


def test_a_csv_missing_a_column_is_refused_as_a_file(mike, client_for):
    upload = SimpleUploadedFile("o.csv", b"external_id,kind\nA,renewed\n", content_type="text/csv")
    response = client_for(mike).post(reverse("outcomes:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 200
    assert "Missing required column(s): occurred_on, arr_before, arr_after." in str(
        response.context["form"].errors
    )


def test_a_backtest_window_that_ends_before_it_starts_is_a_conflict(org_a, key_for):
    """Schema-valid (no schema can order two parameters), contradicting itself: 409."""
    response = key_for(org_a).get(
        "/api/v1/insights/backtest/", {"since": "2026-05-01", "until": "2026-04-01"}
    )
    assert response.status_code == 409
    assert errors(response) == {"until": ["On or after since."]}
