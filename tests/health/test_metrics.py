"""Metric values in: API, CSV and by hand, all validated before anything is written."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ImportJob
from health.models import MetricValue
from health.services import metrics_import_run
from recompute.pipeline import accounts_recompute

from ..conftest import formset_data
from ..problems import errors

pytestmark = pytest.mark.django_db


def stored(org, in_tenant):
    with in_tenant(org):
        return list(MetricValue.objects.order_by("metric").values_list("metric", "number", "text"))


def test_the_api_stores_a_valid_batch_and_enqueues_the_recompute(
    key_for, org_a, account_a, chs_card, in_tenant, django_capture_on_commit_callbacks
):
    items = [
        {"account": account_a.pk, "metric": "nps", "value": 30, "observed_at": "2026-11-01"},
        {
            "external_id": account_a.external_id,
            "metric": "executive_relationship",
            "value": "Strong",
        },
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        response = key_for(org_a).post("/api/v1/health-metrics/", items, format="json")
    assert response.status_code == 201 and response.json() == {"created": 2}
    assert stored(org_a, in_tenant) == [
        ("executive_relationship", None, "strong"),
        ("nps", 30.0, ""),
    ]
    assert len(callbacks) == 1


def test_one_bad_item_rejects_the_batch_with_a_message_per_item_and_field(
    key_for, org_a, account_a, account_b, chs_card, in_tenant
):
    future = (timezone.now() + timedelta(days=2)).isoformat()
    items = [
        {"account": account_a.pk, "metric": "nps", "value": 30},
        {"account": account_b.pk, "metric": "nps", "value": 30},
        {"external_id": "nope", "metric": "bogus", "value": 1},
        {"account": account_a.pk, "metric": "executive_relationship", "value": "fantastic"},
        {"account": account_a.pk, "metric": "nps", "value": "high", "observed_at": future},
        {"metric": "nps", "value": 1, "observed_at": "yesterday"},
    ]
    response = key_for(org_a).post("/api/v1/health-metrics/", items, format="json")
    assert response.status_code == 400
    report = errors(response)
    assert not any(where.startswith("0/") for where in report)
    assert report["1/account"] == ["No such account."]  # another tenant's account
    assert {where for where in report if where.startswith("2/")} == {"2/external_id", "2/metric"}
    assert "strong" in report["3/value"][0]
    assert {where for where in report if where.startswith("4/")} == {"4/value", "4/observed_at"}
    assert {where for where in report if where.startswith("5/")} == {"5/account", "5/observed_at"}
    assert stored(org_a, in_tenant) == []


@pytest.mark.parametrize("body", [{}, [], "text", [1, 2]])
def test_malformed_bodies_are_400(body, key_for, org_a, chs_card):
    response = key_for(org_a).post("/api/v1/health-metrics/", body, format="json")
    assert response.status_code == 400


def test_another_organizations_health_is_404(key_for, org_b, account_a, chs_card):
    client = key_for(org_b)
    assert client.get(f"/api/v1/accounts/{account_a.pk}/health/").status_code == 404
    assert client.get(f"/api/v1/accounts/{account_a.pk}/health/history/").status_code == 404


def test_the_health_endpoint_explains_the_score(key_for, org_a, account_a, chs_card, in_tenant):
    client = key_for(org_a)
    client.post(
        "/api/v1/health-metrics/",
        [
            {"account": account_a.pk, "metric": "nps", "value": 0},
            {"account": account_a.pk, "metric": "active_users_pct", "value": 70},
        ],
        format="json",
    )
    with in_tenant(org_a):
        accounts_recompute()
    body = client.get(f"/api/v1/accounts/{account_a.pk}/health/").json()
    assert body["score"] == pytest.approx(0.3 / 0.5 * 100 + 0.2 / 0.5 * 50)
    assert body["level"] == "High" and body["completeness"] == pytest.approx(0.3 * 0.6 + 0.2)
    statuses = {d["measure"]: d["status"] for d in body["breakdown"]}
    assert statuses["nps"] == "ok" and statuses["billing"] == "missing"
    history = client.get(f"/api/v1/accounts/{account_a.pk}/health/history/").json()["results"]
    assert [round(h["score"]) for h in history] == [80]


def test_scorecards_api_shows_measures_rules_and_weights(key_for, org_a, chs_card):
    [card] = key_for(org_a).get("/api/v1/scorecards/").json()["results"]
    assert [g["key"] for g in card["groups"]] == [
        "adoption",
        "engagement",
        "financial",
        "satisfaction",
    ]
    usage = card["groups"][0]["measures"][0]
    assert (usage["metric"], usage["rule"], usage["weight"]) == ("active_users_pct", "linear", 60)


CSV = (
    "external_id,metric,value,observed_at\n"
    "{ext},nps,40,2026-10-01\n"
    "{ext},executive_relationship,weak,\n"
    "missing-account,nps,10,2026-10-01\n"
    "{ext},nps,lots,2026-10-01\n"
)


def test_a_csv_with_bad_lines_reports_each_and_writes_nothing(
    org_a, account_a, chs_card, in_tenant
):
    with in_tenant(org_a):
        job = ImportJob.objects.create(
            organization=org_a,
            kind="metrics",
            filename="m.csv",
            content=CSV.format(ext=account_a.external_id),
        )
        job = metrics_import_run(job=job)
    assert job.status == "rejected"
    assert [(e["line"], e["column"]) for e in job.errors] == [(4, "external_id"), (5, "value")]
    assert stored(org_a, in_tenant) == []


def test_a_csv_of_good_rows_is_stored_through_the_browser_and_a_worker(
    worker, mike, org_a, account_a, chs_card, client_for, in_tenant
):
    from ..conftest import wait_for

    good = "\n".join(CSV.format(ext=account_a.external_id).splitlines()[:3]) + "\n"
    upload = SimpleUploadedFile("m.csv", good.encode(), content_type="text/csv")
    client = client_for(mike)
    response = client.post(reverse("health:metrics_import"), {"file": upload, "mode": "all"})
    assert response.status_code == 302

    def finished():
        """the worker ran the metric import"""
        return client.get(response["Location"] + "status/").json()["finished"]

    wait_for(finished)
    assert len(stored(org_a, in_tenant)) == 2

    def scored():
        """the worker recomputed the account's CHS"""
        with in_tenant(org_a):
            return Account.objects.get(pk=account_a.pk).chs

    assert wait_for(scored) is not None


def test_a_csm_records_a_qualitative_value_by_hand(
    bob, org_a, account_a, chs_card, in_tenant, client_for
):
    with in_tenant(org_a):
        measure = chs_card.groups.get(key="engagement").measures.get(key="executive_relationship")
    response = client_for(bob).post(
        reverse("health:value_add", args=[account_a.pk]),
        {"measure": measure.pk, "value": "Neutral", "observed_on": "2026-11-01"},
        follow=True,
    )
    assert "Executive relationship recorded." in response.content.decode()
    with in_tenant(org_a):
        value = MetricValue.objects.get()
    assert (value.text, value.source, value.created_by) == ("neutral", "manual", bob)


def test_a_bad_manual_value_is_refused_with_the_reason(
    bob, org_a, account_a, chs_card, in_tenant, client_for
):
    with in_tenant(org_a):
        measure = chs_card.groups.get(key="engagement").measures.get(key="executive_relationship")
    response = client_for(bob).post(
        reverse("health:value_add", args=[account_a.pk]),
        {"measure": measure.pk, "value": "superb", "observed_on": "2026-11-01"},
        follow=True,
    )
    assert "Not recorded: One of: neutral, none, strong, weak." in response.content.decode()
    assert stored(org_a, in_tenant) == []


def test_a_viewer_cannot_record_values(vera, account_a, chs_card, client_for):
    response = client_for(vera).post(reverse("health:value_add", args=[account_a.pk]), {})
    assert response.status_code == 403


def test_a_manager_edits_the_scorecard_and_bad_weights_keep_the_input(
    mike, org_a, chs_card, client_for, in_tenant, django_capture_on_commit_callbacks
):
    client = client_for(mike)
    url = reverse("health:scorecard", args=[chs_card.pk])
    page = client.get(url)
    data = formset_data(page.context, "groups", "measures", "levels")
    bad = {**data, "groups-0-weight": "45"}
    html = client.post(url, bad).content.decode()
    assert "these total 115%" in html and 'value="45"' in html
    overlapping = {**data, "measures-1-band_1_from": "0.5"}  # support activity's bands
    assert "overlap" in client.post(url, overlapping).content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {**data, "groups-0-weight": "25", "groups-1-weight": "30"})
    assert response.status_code == 302 and len(callbacks) == 1  # the tenant recompute
    with in_tenant(org_a):
        assert float(chs_card.groups.get(key="engagement").weight) == 30


def test_health_history_supports_updated_since(key_for, org_a, account_a, chs_card, in_tenant):
    client = key_for(org_a)
    client.post(
        "/api/v1/health-metrics/",
        [{"account": account_a.pk, "metric": "nps", "value": 10}],
        format="json",
    )
    with in_tenant(org_a):
        accounts_recompute()
    url = f"/api/v1/accounts/{account_a.pk}/health/history/"
    assert len(client.get(url, {"updated_since": "2000-01-01T00:00:00Z"}).json()["results"]) == 1
    assert client.get(url, {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []


@pytest.mark.parametrize(
    ("metric", "value", "status"),
    [
        # text the schema allows, which this organization's numeric measure does not take
        ("contact", "NaN", 409),
        ("contact", "-1e999", 409),
        ("nps", "Infinity", 409),
        ("nps", None, 409),
        # what the schema refuses: a boolean, a number beyond its bounds
        ("contact", True, 400),
        ("nps", 10**400, 400),
        ("nps", -(10**15) - 1, 400),
        ("nps", False, 400),
    ],
)
def test_a_value_that_is_no_finite_number_is_refused_and_nothing_stored(
    metric, value, status, key_for, org_a, account_a, chs_card, in_tenant
):
    item = {"account": account_a.pk, "metric": metric, "value": value}
    response = key_for(org_a).post("/api/v1/health-metrics/", [item], format="json")
    assert response.status_code == status
    assert "number" in errors(response)["0/value"][0]
    assert stored(org_a, in_tenant) == []


def test_a_recency_measure_takes_null_as_the_observation_itself(
    key_for, org_a, account_a, chs_card, in_tenant
):
    item = {"account": account_a.pk, "metric": "contact", "value": None}
    response = key_for(org_a).post("/api/v1/health-metrics/", [item], format="json")
    assert response.status_code == 201
    assert stored(org_a, in_tenant) == [("contact", 1.0, "")]


def test_a_partial_batch_stores_the_good_values_and_answers_each(
    key_for, org_a, account_a, account_b, chs_card, in_tenant
):
    items = [
        {"account": account_a.pk, "metric": "nps", "value": 30},
        {"account": account_b.pk, "metric": "nps", "value": 30},  # another tenant's account
        {"account": account_a.pk, "metric": "no_such_metric", "value": 1},
        {"external_id": account_a.external_id, "metric": "active_users_pct", "value": "lots"},
    ]
    response = key_for(org_a).post(
        "/api/v1/health-metrics/?all_or_nothing=false", items, format="json"
    )
    assert response.status_code == 207
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 404, 404, 409]
    assert (body["written"], body["refused"]) == (1, 3)
    assert body["results"][3]["errors"][0]["pointer"] == "/3/value"
    assert stored(org_a, in_tenant) == [("nps", 30.0, "")]
