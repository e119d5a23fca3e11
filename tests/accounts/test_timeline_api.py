"""The notes and the timeline through the API, as a CRM mirrors them."""

import pytest

from ..problems import errors

pytestmark = pytest.mark.django_db


def test_a_crm_writes_and_reads_notes(org_a, account_a, mike, key_for, client_for):
    api = key_for(org_a)
    url = f"/api/v1/accounts/{account_a.pk}/notes/"
    created = api.post(url, {"body": "Synced from CRM: QBR booked, cc @mike"}, format="json")
    assert created.status_code == 201
    note = created.json()
    assert note["author"] is None and note["mentions"] == ["mike@alpha.test"]
    assert note["kind"] == "note" and note["account"] == account_a.pk
    signed_in = client_for(mike).post(url, {"body": "Seen"}, content_type="application/json")
    assert signed_in.json()["author"] == "mike@alpha.test"
    listed = api.get(url).json()["results"]
    assert [n["body"] for n in listed] == ["Seen", "Synced from CRM: QBR booked, cc @mike"]


def test_a_blank_note_is_a_400_naming_the_field(org_a, account_a, key_for):
    response = key_for(org_a).post(
        f"/api/v1/accounts/{account_a.pk}/notes/", {"body": "  "}, format="json"
    )
    assert response.status_code == 400 and "body" in errors(response)


def test_the_timeline_reads_and_filters_by_kind(org_a, account_a, key_for):
    api = key_for(org_a)
    api.post(f"/api/v1/accounts/{account_a.pk}/notes/", {"body": "First"}, format="json")
    entries = api.get(f"/api/v1/accounts/{account_a.pk}/timeline/").json()
    assert [(e["kind"], e["detail"]) for e in entries] == [("note", "First")]
    assert api.get(f"/api/v1/accounts/{account_a.pk}/timeline/", {"kind": "cell"}).json() == []
    bad = api.get(f"/api/v1/accounts/{account_a.pk}/timeline/", {"kind": "gossip"})
    assert bad.status_code == 400 and "kind" in errors(bad)


def test_another_organizations_notes_and_timeline_are_404(org_b, account_a, key_for):
    api = key_for(org_b)
    for path in ("notes", "timeline"):
        assert api.get(f"/api/v1/accounts/{account_a.pk}/{path}/").status_code == 404
    response = api.post(f"/api/v1/accounts/{account_a.pk}/notes/", {"body": "x"}, format="json")
    assert response.status_code == 404
