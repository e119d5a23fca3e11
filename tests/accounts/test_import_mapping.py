"""A CRM's export goes in through a mapping step: columns matched, owners by name or email."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, ImportJob
from accounts.services import import_job_run

from ..conftest import wait_for

pytestmark = pytest.mark.django_db

SALESFORCE = (
    "Account ID,Account Name,Industry,Annual Revenue,Billing Country,Account Owner,Type\n"
    '001A,Globex,Manufacturing,"$1,200,000.00",Germany,Bob Builder,Customer\n'
    "001B,Initech,Software,50000,United States,mike@alpha.test,Customer\n"
    "001C,Umbrella,Pharma,70000,France,Zed Nobody,Prospect\n"
)


@pytest.fixture
def named(bob):
    bob.first_name, bob.last_name = "Bob", "Builder"
    bob.save()
    return bob


def upload(client, content, name="accounts.csv"):
    return client.post(
        reverse("accounts:import"),
        {"file": SimpleUploadedFile(name, content.encode()), "mode": "all"},
    )


def test_a_salesforce_export_goes_to_the_mapping_step_with_its_columns_guessed(
    mike, named, client_for
):
    client = client_for(mike)
    response = upload(client, SALESFORCE)
    assert response.status_code == 302 and "/import/map/" in response["Location"]
    page = client.get(response["Location"])
    form = page.context["form"]
    assert {f: form[f].value() for f in ("external_id", "name", "arr", "region", "csm_email")} == {
        "external_id": "Account ID",
        "name": "Account Name",
        "arr": "Annual Revenue",
        "region": "Billing Country",
        "csm_email": "Account Owner",
    }


def _mapped(client, location, **changes):
    page = client.get(location)
    data = {f: page.context["form"][f].value() or "" for f in page.context["form"].fields}
    data["mode"] = "good"
    data.update(changes)
    return client.post(location, data)


def test_the_mapping_imports_owners_by_name_or_email_and_reports_the_unknown(
    org_a, mike, named, client_for, in_tenant
):
    client = client_for(mike)
    location = upload(client, SALESFORCE)["Location"]
    response = _mapped(client, location)
    assert response.status_code == 302
    with in_tenant(org_a):
        job = ImportJob.objects.get()
        job = import_job_run(job=job)
        accounts = {a.external_id: a for a in Account.objects.select_related("owner_csm")}
    assert job.status == "done" and job.created_count == 2
    assert accounts["001A"].owner_csm.email == "bob@alpha.test"  # by unambiguous full name
    assert accounts["001B"].owner_csm.email == "mike@alpha.test"
    assert float(accounts["001A"].arr) == 1_200_000.0 and accounts["001A"].region == "Germany"
    [error] = job.errors
    assert error["line"] == 4 and error["column"] == "csm_email" and error["value"] == "Zed Nobody"


def test_all_or_nothing_still_writes_nothing_when_a_row_is_bad(
    org_a, mike, named, client_for, in_tenant
):
    client = client_for(mike)
    location = upload(client, SALESFORCE)["Location"]
    _mapped(client, location, mode="all")
    with in_tenant(org_a):
        job = import_job_run(job=ImportJob.objects.get())
        assert job.status == "rejected" and not Account.objects.exists()


def test_a_required_field_left_unmapped_is_a_form_error(mike, client_for, org_a, in_tenant):
    client = client_for(mike)
    location = upload(client, SALESFORCE)["Location"]
    response = _mapped(client, location, name="")
    assert response.status_code == 200
    assert "Choose the column that holds it." in response.content.decode()
    twice = _mapped(client, location, region="Account Name")
    assert "One column feeds two fields: Account Name." in twice.content.decode()
    with in_tenant(org_a):
        assert not ImportJob.objects.exists()


def test_an_ascend_file_needs_no_mapping_and_a_template_is_offered(mike, client_for):
    client = client_for(mike)
    response = upload(client, "external_id,name\nC-1,Alpha\n")
    assert "/import/map/" not in response["Location"]
    template = client.get(reverse("accounts:import_template"))
    assert template.content.decode().startswith("external_id,name,industry")


def test_another_organizations_upload_token_finds_nothing(mike, carol, client_for):
    location = upload(client_for(mike), SALESFORCE)["Location"]
    response = client_for(carol).get(location, follow=True)
    assert "That upload has expired" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_salesforce_csv_is_imported_through_the_mapping_step_in_the_browser(
    worker, login, live_server, org_a, mike, named, in_tenant, tmp_path
):
    path = tmp_path / "salesforce-accounts.csv"
    path.write_text(SALESFORCE)
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/accounts/import/")
    page.set_input_files("input[type=file]", str(path))
    page.check("input[value=good]")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#mapping-form")
    assert page.input_value("#mapping-form select[name=external_id]") == "Account ID"
    page.check("#mapping-form input[value=good]")
    page.click("#mapping-form button[type=submit]")

    def imported():
        with in_tenant(org_a):
            return Account.objects.filter(external_id__in=["001A", "001B"]).count() == 2

    wait_for(imported)
    # The job page reloads itself when the job ends; the report's bad row then appears.
    page.wait_for_selector("td:has-text('Zed Nobody')")
