"""Every event a receiver is sent matches what the schema publishes for it (`x-webhooks`),
field for field: the apps emit each one for real, to a loopback receiver, through a worker."""

import pytest
from openapi_schema_validator import OAS30Validator
from standardwebhooks import Webhook

from integrations.api.payloads import PAYLOADS
from integrations.models import EVENTS, WebhookSubscription
from integrations.services import TEST_EVENT, subscription_ping

from ..api.test_webhooks import Receiver, submit, subscribe
from ..conftest import wait_for
from ..served_schema import served_spec


def published(event: str) -> tuple[OAS30Validator, set[str]]:
    """The schema's validator for `event`'s body, and the fields its `data` declares."""
    spec = served_spec()
    operation = spec["x-webhooks"][event]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    envelope = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    data = spec["components"]["schemas"][envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    validator = OAS30Validator({**body, "components": spec["components"]})
    return validator, set(data["properties"])


def test_every_event_publishes_its_payload_and_the_signing_headers():
    spec = served_spec()
    assert set(PAYLOADS) == set(EVENTS)
    assert set(spec["x-webhooks"]) == {*EVENTS, TEST_EVENT}
    for item in spec["x-webhooks"].values():
        headers = {p["name"] for p in item["post"]["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    payload = spec["components"]["schemas"]["Delivery"]["properties"]["payload"]
    assert payload["allOf"] == [{"$ref": "#/components/schemas/EventPayload"}]
    each = spec["components"]["schemas"]["EventPayload"]["oneOf"]
    assert len(each) == len(EVENTS)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_each_event_sent_matches_its_published_schema(
    worker, receiver, org_a, account_a, cmi_framework, chs_card, key_for, in_tenant
):
    client = key_for(org_a)
    hook = subscribe(client, receiver.url, list(EVENTS))
    # A metric and an assessment: submitted, then (on the worker) scores, level and cell move.
    metrics = [{"account": account_a.pk, "metric": "nps", "value": 50}]
    assert client.post("/api/v1/health-metrics/", metrics, format="json").status_code == 201
    submit(client, account_a)
    wait_for(lambda: receiver.events("account.migrated"))
    outcome = {
        "account": account_a.pk,
        "kind": "renewed",
        "occurred_on": "2026-11-30",
        "arr_before": "1200.00",
        "arr_after": "1200.00",
    }
    assert client.post("/api/v1/outcomes/", [outcome], format="json").status_code == 201
    assert client.delete(f"/api/v1/accounts/{account_a.pk}/").status_code == 204
    with in_tenant(org_a):
        assert subscription_ping(subscription=WebhookSubscription.objects.get()).status_code == 200

    def all_arrived():
        """every event, and the test event, reached the receiver"""
        return all(receiver.events(event) for event in (*EVENTS, TEST_EVENT))

    wait_for(all_arrived)
    for headers, body in receiver.requests:
        event = headers["X-Ascend-Event"]
        sent = Webhook(hook["secret"]).verify(body, dict(headers))
        validator, declared = published(event)
        errors = [error.message for error in validator.iter_errors(sent)]
        assert errors == [], f"{event}: {errors}"
        # Nothing undeclared either: a field a receiver is sent is a field it can type.
        assert set(sent["data"]) <= declared, f"{event} sends {set(sent['data']) - declared}"
    (moved,) = receiver.events("account.migrated")
    (cell,) = [
        event["data"]["changes"]["segment"]
        for event in receiver.events("account.scores_changed")
        if "segment" in event["data"]["changes"]
    ]
    assert cell == {"from": None, "to": moved["data"]["to_segment"]}

    # The stored deliveries are listed with their payloads, checked against the schema's
    # EventPayload by the test client's hook (tests/served_schema.py).
    listed = client.get("/api/v1/webhook-deliveries/", {"page_size": 100}).json()["results"]
    assert {delivery["event"] for delivery in listed} == set(EVENTS)
