"""schemathesis against the live schema: no 500 and no response outside the schema, on any input.

The schema is the one /api/v1/schema/ serves, generated without a database at collection; the
calls go in-process through the WSGI app to the real PostgreSQL, with an API key of an
organization that has data, so generated ids hit real rows as well as missing ones.
"""

import json
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from config.wsgi import application

spec = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
schema = schemathesis.openapi.from_dict(spec)
schema.app = application


# The key of the test being run: schemathesis sends it through its auth provider below, so
# that its ignored_auth check knows the credentials are real and probes each operation with
# none and with a wrong key, expecting 401.
current_key: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # a new key per test: nothing to cache
class ApiKey:
    def get(self, case, ctx):
        # Collection asks once too, before any test has made a key: "" is no key, a 401.
        return current_key.get("key", "")

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {data}"}


@pytest.fixture
def api_key(org_a, account_a, cmi_framework, chs_card, in_tenant):
    from tenancy.services import api_key_create

    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="fuzz")[1]
    current_key["key"] = key
    # As Django's test client does: keep the test's connection open across WSGI requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield key
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# Every default check runs, schemathesis's own, with its default settings and none excluded.
# A schema-valid request the API still refuses is refused as the checks accept and HTTP makes
# right: 404 when it names a row this organization does not have, 409 for a conflict, 403 for a
# target this server will not reach (core.api.exception_handler); what can be stated in the
# schema (a webhook URL's pattern, a cursor's, a bound, an enum) is stated there.


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 15)),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_schema(case, api_key):
    case.call_and_validate()


def test_the_schema_calls_blank_what_drf_trims_to_nothing():
    """A required name of "\\u001f" is blank to DRF (Python's whitespace) but not to \\s in
    JSON Schema (ECMA) or Hypothesis: the schema spells the blanks out, so every dialect agrees
    with the API, and clients do not build requests it refuses."""
    from rest_framework import serializers

    from core.api import NonBlankCharField

    text_pattern = spec["components"]["schemas"]["Account"]["properties"]["name"]["pattern"]
    assert "\\s" not in text_pattern  # its meaning depends on the dialect
    pattern = re.compile(text_pattern)
    field = NonBlankCharField()
    samples = ["\u001f", " \u0085 ", "\u3000", "\t\n", "\ufeff", "a", " \u001fb ", "x\u00a0y"]
    for text in samples:
        try:
            field.run_validation(text)
            accepted = True
        except serializers.ValidationError:
            accepted = False
        assert bool(pattern.search(text)) is accepted, repr(text)


@pytest.mark.django_db
def test_the_api_honours_its_schema_across_linked_calls(api_key):
    """The stateful phase: schemathesis follows the schema's links (create, then retrieve,
    update, delete what was created) with every default check on every response."""
    workflow = schema.as_state_machine()

    workflow.run(
        settings=settings(
            max_examples=int(os.environ.get("FUZZ_STEPS", 10)),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=6,
        )
    )
