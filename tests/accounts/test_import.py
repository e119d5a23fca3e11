"""CSV import: every bad row reported with its line, and nothing written unless all is well."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, ImportJob
from accounts.services import import_job_run

from ..conftest import wait_for
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "external_id,name,industry,isic_code,size_band,region,lifecycle_stage,arr,renewal_date,csm_email\n"
    "C-1,Alpha Corp,Defence,8422,large,EMEA,adoption,120000,2027-03-31,bob@alpha.test\n"
    'C-2,Beta Ltd,IT wholesale,4651,small,APAC,onboarding,"9,500",,\n'
)


def run_import(org, content, mode=ImportJob.Mode.ALL_OR_NOTHING, *, in_tenant):
    with in_tenant(org):
        job = ImportJob.objects.create(
            organization=org, filename="f.csv", content=content, mode=mode
        )
        return import_job_run(job=job)


def names(org, in_tenant):
    with in_tenant(org):
        return sorted(Account.objects.values_list("name", flat=True))


def test_a_good_file_creates_and_updates_by_external_id(org_a, bob, in_tenant):
    AccountFactory(organization=org_a, external_id="C-2", name="Old name", arr=1, region="NA")
    job = run_import(org_a, GOOD, in_tenant=in_tenant)
    assert (job.status, job.created_count, job.updated_count, job.errors) == ("done", 1, 1, [])
    with in_tenant(org_a):
        alpha = Account.objects.get(external_id="C-1")
        beta = Account.objects.get(external_id="C-2")
    assert alpha.owner_csm == bob and str(alpha.renewal_date) == "2027-03-31"
    assert beta.name == "Beta Ltd" and beta.arr == 9500 and beta.region == "APAC"


def test_columns_absent_from_the_file_are_left_alone(org_a, in_tenant):
    AccountFactory(organization=org_a, external_id="C-9", arr=777, region="LATAM")
    run_import(org_a, "external_id,name\nC-9,Renamed\n", in_tenant=in_tenant)
    with in_tenant(org_a):
        account = Account.objects.get(external_id="C-9")
    assert (account.name, account.arr, account.region) == ("Renamed", 777, "LATAM")


BAD_ROWS = (
    "external_id,name,arr,renewal_date,size_band,csm_email\n"
    "D-1,Fine,100,2027-01-01,small,\n"
    "D-2,,abc,2027-13-01,gigantic,\n"
    "D-1,Again,-4,,,nobody@alpha.test\n"
    "D-4,Carol's pick,5,,,carol@beta.test\n"
)


def test_bad_rows_are_all_reported_with_their_lines_and_nothing_is_written(org_a, carol, in_tenant):
    job = run_import(org_a, BAD_ROWS, in_tenant=in_tenant)
    assert job.status == "rejected"
    found = {(e["line"], e["column"]) for e in job.errors}
    assert found == {
        (2, "external_id"),
        (4, "external_id"),  # D-1 twice
        (3, "name"),
        (3, "arr"),
        (3, "renewal_date"),
        (3, "size_band"),
        (4, "arr"),
        (4, "csm_email"),
        (5, "csm_email"),  # a member of another organization is unknown here
    }
    assert next(e for e in job.errors if e["column"] == "arr")["value"] == "abc"
    assert names(org_a, in_tenant) == []


def test_importing_the_good_rows_is_an_explicit_choice(org_a, in_tenant):
    job = run_import(org_a, BAD_ROWS, ImportJob.Mode.GOOD_ROWS, in_tenant=in_tenant)
    assert job.status == "done" and job.created_count == 0 and len(job.errors) == 9
    rows = BAD_ROWS + "D-5,Clean,10,,,\n"
    job = run_import(org_a, rows, ImportJob.Mode.GOOD_ROWS, in_tenant=in_tenant)
    assert job.created_count == 1
    assert names(org_a, in_tenant) == ["Clean"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"external_id,name\n", "header but no accounts"),
        ("external_id,name\nA,Caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_at_upload(content, message, mike, client_for):
    upload = SimpleUploadedFile("accounts.csv", content, content_type="text/csv")
    response = client_for(mike).post(reverse("accounts:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("content", [b"Account,arr\nX,1\n", b"external_id,name,colour\nA,B,red\n"])
def test_other_columns_go_to_the_mapping_step_not_a_refusal(content, mike, client_for):
    upload = SimpleUploadedFile("accounts.csv", content, content_type="text/csv")
    response = client_for(mike).post(reverse("accounts:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 302 and "/accounts/import/map/" in response["Location"]


def test_a_file_of_ascends_own_columns_is_told_what_it_lacks(mike, client_for):
    """No mapping can find a column the file does not have."""
    upload = SimpleUploadedFile("accounts.csv", b"name,arr\nX,1\n", content_type="text/csv")
    response = client_for(mike).post(reverse("accounts:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 200
    assert "Missing required column(s): external_id." in response.content.decode()


def test_a_file_rejected_in_the_job_writes_nothing(org_a, in_tenant):
    job = run_import(org_a, "wrong,columns\n1,2\n", in_tenant=in_tenant)
    assert job.status == "rejected" and "Missing required column" in job.errors[0]["message"]


def test_a_redelivered_job_does_not_import_twice(org_a, in_tenant):
    job = run_import(org_a, GOOD.replace(",bob@alpha.test", ","), in_tenant=in_tenant)
    with in_tenant(org_a):
        Account.objects.filter(external_id="C-1").update(name="Edited after import")
        import_job_run(job=job)
    assert "Edited after import" in names(org_a, in_tenant)


def test_the_export_reimports_to_the_same_accounts(org_a, mike, bob, client_for, in_tenant):
    AccountFactory(organization=org_a, external_id="E-1", name="Exported", owner_csm=bob, arr=42)
    exported = client_for(mike).get(reverse("accounts:export")).content.decode()
    with in_tenant(org_a):
        Account.objects.update(name="Changed", arr=0, owner_csm=None)
    job = run_import(org_a, exported, in_tenant=in_tenant)
    assert job.status == "done" and job.updated_count == 1
    with in_tenant(org_a):
        account = Account.objects.get(external_id="E-1")
    assert (account.name, account.arr, account.owner_csm) == ("Exported", 42, bob)


def test_a_real_worker_imports_an_upload(worker, org_a, mike, bob, client_for, in_tenant):
    upload = SimpleUploadedFile("accounts.csv", GOOD.encode(), content_type="text/csv")
    response = client_for(mike).post(reverse("accounts:import"), {"file": upload, "mode": "all"})
    assert response.status_code == 302
    job_url = response["Location"]
    status_url = job_url + "status/"
    client = client_for(mike)

    def finished():
        """the worker finished the import"""
        return client.get(status_url).json()["finished"]

    wait_for(finished)
    assert names(org_a, in_tenant) == ["Alpha Corp", "Beta Ltd"]
    assert "Imported: 2 created, 0 updated" in client.get(job_url).content.decode()


@pytest.mark.parametrize("arr", ["999999999999.999", "1000000000000", "-1"])
def test_an_arr_past_what_the_column_holds_is_a_row_error_not_a_stuck_job(arr, org_a, in_tenant):
    content = f"external_id,name,arr\nX-1,Too Big,{arr}\nX-2,Fine,999999999999.99\n"
    job = run_import(org_a, content, in_tenant=in_tenant)
    assert job.status == "rejected"
    assert [(e["line"], e["column"]) for e in job.errors] == [(2, "arr")]
    assert names(org_a, in_tenant) == []
    job = run_import(org_a, content, ImportJob.Mode.GOOD_ROWS, in_tenant=in_tenant)
    assert job.status == "done" and names(org_a, in_tenant) == ["Fine"]
