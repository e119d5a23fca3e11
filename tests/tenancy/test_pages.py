"""A tenant's pages are read from its own rows, however many rows newer tenants have."""

import json

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Account
from tenancy.context import tenant_context

from ..factories import OrganizationFactory


def _accounts_insert(organization, count: int) -> None:
    with tenant_context(organization.id), connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO accounts_account (name, external_id, industry, isic_code, size_band,
                 region, lifecycle_stage, arr, created_at, updated_at, organization_id,
                 cmi_tier, chs_level, chs_overridden, chs_stale, segment)
               SELECT 'Account ' || n, 'E' || n, '', '', '', '', 'adoption', 0, now(), now(),
                 %s, '', '', false, false, ''
               FROM generate_series(1, %s) AS n""",
            [organization.id, count],
        )


def _rows_filtered_out(plan: dict) -> int:
    return plan.get("Rows Removed by Filter", 0) + sum(
        _rows_filtered_out(child) for child in plan.get("Plans", [])
    )


@pytest.mark.django_db(transaction=True)  # ANALYZE, as autovacuum would, sees committed rows
def test_an_older_tenants_first_page_reads_none_of_a_newer_tenants_rows():
    older = OrganizationFactory(slug="older")
    _accounts_insert(older, 2_000)
    for n in range(8):
        _accounts_insert(OrganizationFactory(slug=f"newer-{n}"), 1_000)
    owner = settings.DATABASE_OWNER
    with psycopg.connect(
        host=owner["HOST"],
        port=owner["PORT"],
        user=owner["USER"],
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    ) as analyzer:
        analyzer.execute("ANALYZE accounts_account")
    with tenant_context(older.id):
        page = Account.objects.order_by("-id")[:101]
        plan = json.loads(page.explain(format="json", analyze=True))[0]["Plan"]
        assert len(page) == 101
    assert _rows_filtered_out(plan) == 0, json.dumps(plan, indent=1)
