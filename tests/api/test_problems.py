"""Errors are RFC 9457 problem documents everywhere under /api/, and the schema says so."""

import json
import logging

import pytest

from ..problems import errors
from ..served_schema import check_response, served_spec


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/accounts/by-external-id/a%2Fb/",  # a CRM id with a slash, not held here
        "/api/v1/accounts/by-external-id/",  # no id: no route, still JSON
        "/api/v1/accounts/999999999/",
    ],
)
def test_every_api_404_is_a_problem_document(path, key_for, org_a):
    response = key_for(org_a).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found"
    assert body["type"] == "urn:ascend:problem:not_found"
    assert body["request_id"] == response["X-Request-ID"]


def test_the_request_id_is_the_clients_when_tame_and_appears_in_the_log(key_for, org_a, caplog):
    client = key_for(org_a)
    with caplog.at_level(logging.INFO, logger="ascend.api"):
        response = client.post(
            "/api/v1/accounts/", {"name": ""}, format="json", HTTP_X_REQUEST_ID="crm-sync-42"
        )
    assert response.status_code == 400 and response.json()["request_id"] == "crm-sync-42"
    assert response["X-Request-ID"] == "crm-sync-42"
    assert any(getattr(r, "request_id", "") == "crm-sync-42" for r in caplog.records)
    wild = client.get("/api/v1/accounts/", HTTP_X_REQUEST_ID="no spaces or\u00e9 please")
    assert wild["X-Request-ID"] != "no spaces or\u00e9 please" and len(wild["X-Request-ID"]) == 32


def test_a_bulk_report_points_at_each_bad_item_and_field(key_for, org_a):
    items = [{"external_id": "OK-1", "name": "Fine"}, {"external_id": "BAD-1", "arr": "-5"}]
    response = key_for(org_a).post("/api/v1/accounts/bulk/", items, format="json")
    assert response.status_code == 400
    assert set(errors(response)) == {"1/name", "1/arr"}
    assert {e["code"] for e in response.json()["errors"]} >= {"required"}


def test_a_query_parameter_error_names_the_parameter(key_for, org_a):
    response = key_for(org_a).get("/api/v1/accounts/?page_size=0")
    assert response.status_code == 400
    (entry,) = response.json()["errors"]
    assert entry["parameter"] == "page_size" and "pointer" not in entry


@pytest.mark.parametrize(
    "query",
    ["page_size=%C2%B2", "account=1.0", "account=%2B1"],  # "²", "1.0", "+1"
)
def test_whole_number_parameters_take_digits_only(query, key_for, org_a):
    """str.isdigit() takes "²" (then int() fails: a 500) and Django's IntegerField takes "1.0";
    the schema says integer, so both are a 400 naming the parameter."""
    response = key_for(org_a).get(f"/api/v1/playbook-runs/?{query}")
    assert response.status_code == 400 and set(errors(response)) == {query.split("=")[0]}


def test_a_parameter_given_twice_is_refused_not_guessed(key_for, org_a, account_a):
    client = key_for(org_a)
    bulk = client.post(
        "/api/v1/accounts/bulk/?all_or_nothing=false&all_or_nothing=true",
        [{"external_id": "TWICE-1", "name": "Twice"}],
        format="json",
    )
    assert bulk.status_code == 400 and errors(bulk) == {
        "all_or_nothing": ["Give this parameter once."]
    }
    listing = client.get("/api/v1/accounts/?page_size=1&page_size=2&region=x")
    assert listing.status_code == 400 and set(errors(listing)) == {"page_size"}
    assert client.get("/api/v1/accounts/?page_size=1&region=x").status_code == 200
    assert not client.get("/api/v1/accounts/?external_id=TWICE-1").json()["results"]


def test_every_error_status_of_every_operation_declares_the_problem_body():
    spec = served_spec()
    assert set(spec["components"]["schemas"]["Problem"]["required"]) >= {"type", "status", "code"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    content = response.get("content", {})
                    assert "application/problem+json" in content, (method, path, status)
            if method == "post":
                names = [p["name"] for p in operation.get("parameters", [])]
                assert "Idempotency-Key" in names and "409" in operation["responses"], path


def test_blank_text_is_declared_once_so_an_empty_string_is_valid():
    """drf-spectacular's `oneOf [pattern, maxLength 0]` made "" match both branches."""
    from jsonschema import Draft202012Validator

    spec = served_spec()
    account = spec["components"]["schemas"]["Account"]
    for field in ("industry", "region", "isic_code"):
        schema = account["properties"][field]
        assert "oneOf" not in schema, field
        Draft202012Validator(schema).validate("")


def test_the_schema_check_catches_a_response_outside_the_schema(key_for, org_a, account_a):
    """The hook every API test goes through fails on a mismatch: here a required field removed
    from a real response after the fact."""
    response = key_for(org_a).get(f"/api/v1/accounts/{account_a.pk}/")
    body = response.json()
    del body["name"]
    response.content = json.dumps(body).encode()
    with pytest.raises(AssertionError, match="outside the served schema"):
        check_response(response)
    response.status_code = 418  # a status the operation does not declare
    with pytest.raises(AssertionError, match="outside the served schema"):
        check_response(response)


def test_an_api_404_is_a_problem_document_with_debug_on_too(key_for, org_a, settings):
    """The demo runs with DEBUG on, where Django answers an unknown route with its own page."""
    settings.DEBUG = True
    response = key_for(org_a).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["request_id"] == response["X-Request-ID"]
