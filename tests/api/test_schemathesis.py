"""schemathesis against the live schema: no 500 and no response outside the schema, on any input.

The schema is the one /api/v1/schema/ serves, generated without a database at collection; the
calls go in-process through the WSGI app to the real PostgreSQL, with an API key of an
organization that has data, so generated ids hit real rows as well as missing ones.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from config.wsgi import application

spec = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
schema = schemathesis.openapi.from_dict(spec)
schema.app = application


@pytest.fixture
def api_key(org_a, account_a, cmi_framework, chs_card, in_tenant):
    from tenancy.services import api_key_create

    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="fuzz")[1]
    # As Django's test client does: keep the test's connection open across WSGI requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield key
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# Still to make pass: the schema does not yet state every constraint the serializers enforce
# (minimum lengths, number formats, filter value sets), so schemathesis's data-acceptance
# checks flag requests the schema allows and the API refuses, and the reverse.
NOT_YET = [checks.positive_data_acceptance, checks.negative_data_rejection]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_schema(case, api_key):
    case.call_and_validate(headers={"Authorization": f"Api-Key {api_key}"}, excluded_checks=NOT_YET)
