"""Past assessments from a CSV: each row checked as the API checks one, every bad line
reported, nothing partial written, and the dates kept."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, ImportJob
from maturity.history import assessments_import_run
from maturity.models import Assessment

from ..conftest import DECK_ANSWERS
from ..recomputing import recompute_run

pytestmark = pytest.mark.django_db

HEADER = "external_id,framework,submitted_at," + ",".join(DECK_ANSWERS)


def row(external_id, submitted_at="", framework="", **answers):
    scores = {**{k: str(v) for k, v in DECK_ANSWERS.items()}, **answers}
    return ",".join([external_id, framework, submitted_at, *scores.values()])


def run(org, in_tenant, content, mode="all"):
    with in_tenant(org):
        job = ImportJob.objects.create(
            organization=org, kind="assessments", filename="a.csv", content=content, mode=mode
        )
        return assessments_import_run(job=job)


def history(org, in_tenant):
    with in_tenant(org):
        return list(
            Assessment.objects.filter(status="submitted")
            .order_by("submitted_at")
            .values_list("account__external_id", "submitted_at", "cmi")
        )


def test_past_assessments_load_with_their_dates_and_the_latest_one_counts(
    org_a, account_a, cmi_framework, in_tenant
):
    ext = account_a.external_id
    content = "\n".join(
        [
            HEADER,
            row(ext, "2025-01-15", team_size="unknown", use_of_tools="", process_quality="5"),
            row(ext, "2025-06-30T09:00:00Z", cmi_framework.name.upper()),
        ]
    )
    job = run(org_a, in_tenant, content + "\n")
    assert (job.status, job.created_count, job.errors) == ("done", 2, [])
    (first, second) = history(org_a, in_tenant)
    assert first[1] == datetime(2025, 1, 15, tzinfo=UTC)
    assert second[1] == datetime(2025, 6, 30, 9, tzinfo=UTC)
    with in_tenant(org_a):
        older = Assessment.objects.get(submitted_at=first[1])
        answers = dict(older.answers.values_list("factor_key", "score"))
    assert answers["team_size"] is None and "use_of_tools" not in answers  # unknown, unanswered
    recompute_run(org_a.id, [account_a.pk])
    with in_tenant(org_a):
        assert Account.objects.get(pk=account_a.pk).cmi == second[2] != first[2]


def test_every_bad_line_is_reported_and_nothing_is_written(
    org_a, account_a, cmi_framework, in_tenant
):
    ext = account_a.external_id
    content = "\n".join(
        [
            HEADER,
            row(ext, "2025-01-15"),  # good
            row("nobody", "2025-01-15"),  # 3: no such account
            row(ext, "2999-01-01", team_size="7"),  # 4: the future, and a 7
            row(ext, "", "No such framework"),  # 5
            row(ext, "", use_of_tools="three"),  # 6
            row(ext, "", **dict.fromkeys(DECK_ANSWERS, "unknown")),  # 7: nothing scored
        ]
    )
    job = run(org_a, in_tenant, content + "\n")
    assert job.status == "rejected"
    assert [(e["line"], e["column"]) for e in job.errors] == [
        (3, "external_id"),
        (4, "submitted_at"),
        (4, "team_size"),
        (5, "framework"),
        (6, "use_of_tools"),
        (7, "answers"),
    ]
    messages = {e["column"]: e["message"] for e in job.errors}
    assert messages["team_size"] == "A score is a whole number from 1 to 5, or null for unknown."
    assert messages["answers"] == "Score at least one factor before submitting."
    assert history(org_a, in_tenant) == []
    job = run(org_a, in_tenant, content + "\n", mode="good")  # the good rows only, if asked
    assert job.status == "done" and job.created_count == 1
    assert len(history(org_a, in_tenant)) == 1


def test_a_file_without_a_factor_column_is_refused_at_upload(mike, cmi_framework, client_for):
    upload = SimpleUploadedFile("a.csv", b"external_id,submitted_at\nA,2025-01-01\n")
    response = client_for(mike).post(
        reverse("maturity:assessments_import"), {"file": upload, "mode": "all"}
    )
    assert "No factor column: name at least one of clarity_of_charter" in str(
        response.context["form"].errors
    )


def test_the_page_lists_the_columns_and_its_template_reads_back_cleanly(
    mike, bob, org_a, account_a, cmi_framework, client_for, in_tenant
):
    client = client_for(mike)
    page = client.get(reverse("maturity:assessments_import")).content.decode()
    assert "clarity_of_charter" in page and "primary" in page
    template = client.get(reverse("maturity:assessments_import_template")).content.decode()
    assert template.splitlines()[0] == HEADER
    filled = template.replace("C-1001", account_a.external_id)
    job = run(org_a, in_tenant, filled)
    assert job.status == "done" and job.created_count == 1
    assert client_for(bob).get(reverse("maturity:assessments_import")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_a_worker_and_moves_the_cmi(
    worker, mike, org_a, account_a, cmi_framework, client_for, in_tenant
):
    from ..conftest import wait_for

    content = "\n".join([HEADER, row(account_a.external_id, "2025-03-01")]) + "\n"
    upload = SimpleUploadedFile("a.csv", content.encode(), content_type="text/csv")
    client = client_for(mike)
    response = client.post(reverse("maturity:assessments_import"), {"file": upload, "mode": "all"})
    assert response.status_code == 302

    def scored():
        """the worker imported the assessment and the recompute set the CMI"""
        with in_tenant(org_a):
            return Account.objects.get(pk=account_a.pk).cmi

    assert wait_for(scored) == pytest.approx(2.4, abs=0.05)
