"""The one mapping step serves every import (metrics, outcomes, assessment history), and a
mapping saved as a preset is offered to the team next time, in its organization only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ImportJob, MappingPreset
from health.models import MetricValue
from health.services import metrics_import_run
from maturity.history import assessments_import_run
from maturity.models import Assessment
from outcomes.models import Outcome
from outcomes.services import outcomes_import_run

from ..conftest import DECK_ANSWERS
from .test_import_mapping import SALESFORCE, upload

pytestmark = pytest.mark.django_db


def mapped(client, url_name, content, **chosen):
    """Upload to the kind's page, land on the mapping step, post `chosen` (field → column)."""
    response = client.post(
        reverse(url_name), {"file": SimpleUploadedFile("crm.csv", content.encode()), "mode": "all"}
    )
    assert response.status_code == 302 and "/accounts/import/map/" in response["Location"]
    page = client.get(response["Location"])
    data = {f: page.context["form"][f].value() or "" for f in page.context["form"].fields}
    data.update(mode="all", **chosen)
    return page, client.post(response["Location"], data)


def job_done(org, in_tenant, run):
    with in_tenant(org):
        return run(job=ImportJob.objects.get())


def test_metric_values_from_a_crm_export_go_through_the_mapping_step(
    org_a, account_a, chs_card, mike, client_for, in_tenant
):
    ext = account_a.external_id
    content = f"Customer ID,Signal,Score,When\n{ext},nps,42,2026-11-01T00:00:00Z\n"
    page, response = mapped(
        client_for(mike),
        "health:metrics_import",
        content,
        external_id="Customer ID",
        metric="Signal",
        value="Score",
        observed_at="When",
    )
    assert page.context["spec"].title == "health metrics"
    assert response.status_code == 302
    job = job_done(org_a, in_tenant, metrics_import_run)
    assert job.status == "done"
    with in_tenant(org_a):
        assert MetricValue.objects.get(metric="nps").number == 42


def test_outcomes_from_a_crm_export_take_money_as_crms_write_it(
    org_a, account_a, mike, client_for, in_tenant
):
    ext = account_a.external_id
    content = (
        f'Account,Result,Closed,Before,After\n{ext},expanded,2026-06-30,"$45,000.00","$60,500.00"\n'
    )
    _, response = mapped(
        client_for(mike),
        "outcomes:import",
        content,
        external_id="Account",
        kind="Result",
        occurred_on="Closed",
        arr_before="Before",
        arr_after="After",
    )
    assert response.status_code == 302
    assert job_done(org_a, in_tenant, outcomes_import_run).status == "done"
    with in_tenant(org_a):
        outcome = Outcome.objects.get()
    assert (outcome.arr_before, outcome.arr_after) == (45000, 60500)


def test_past_assessments_from_a_spreadsheet_map_their_factor_columns(
    org_a, account_a, cmi_framework, mike, client_for, in_tenant
):
    keys = list(DECK_ANSWERS)
    header = "Client,Date," + ",".join(f"Q{i}" for i in range(len(keys)))
    row = f"{account_a.external_id},2025-02-01," + ",".join(map(str, DECK_ANSWERS.values()))
    chosen = {key: f"Q{i}" for i, key in enumerate(keys)}
    _, response = mapped(
        client_for(mike),
        "maturity:assessments_import",
        f"{header}\n{row}\n",
        external_id="Client",
        submitted_at="Date",
        **chosen,
    )
    assert response.status_code == 302
    assert job_done(org_a, in_tenant, assessments_import_run).status == "done"
    with in_tenant(org_a):
        assert Assessment.objects.get().cmi == pytest.approx(2.4, abs=0.05)


def test_a_saved_mapping_is_offered_next_time_in_its_organization_only(
    org_a, mike, carol, client_for, in_tenant
):
    client = client_for(mike)
    location = upload(client, SALESFORCE)["Location"]
    page = client.get(location)
    data = {f: page.context["form"][f].value() or "" for f in page.context["form"].fields}
    data.update(mode="all", region="", industry="Type", save_as="Our Salesforce")
    assert client.post(location, data).status_code == 302
    with in_tenant(org_a):
        preset = MappingPreset.objects.get()
    assert preset.kind == "accounts" and preset.mapping["industry"] == "Type"
    assert "region" not in preset.mapping

    again = upload(client, SALESFORCE)["Location"]
    page = client.get(again)
    assert page.context["presets"][f"saved-{preset.pk}"] == "Our Salesforce (saved)"
    chosen = client.get(again, {"preset": f"saved-{preset.pk}"}).context["form"]
    assert (chosen["industry"].value(), chosen["region"].value()) == ("Type", "")

    theirs = upload(client_for(carol), SALESFORCE)["Location"]
    page = client_for(carol).get(theirs, {"preset": f"saved-{preset.pk}"})
    assert f"saved-{preset.pk}" not in page.context["presets"]
    assert page.context["form"]["region"].value() == "Billing Country"  # the shipped guess
