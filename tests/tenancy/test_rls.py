"""PostgreSQL row-level security: the backstop under the ORM scoping."""

import pytest
from django.apps import apps
from django.db import connection
from django_scopes import ScopeError

from accounts.models import Account
from core.audit import audit_models
from tenancy.models import Membership, Organization, TenantModel

TENANT_TABLES = sorted(
    {model._meta.db_table for model in apps.get_models() if issubclass(model, TenantModel)}
    | {Organization._meta.db_table}
    | {model._meta.db_table for model in audit_models()}  # the audit trail's event tables
)


def _rows(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_tenant_tables_are_found():
    assert {"accounts_account", "tenancy_membership", "tenancy_organization"} <= set(TENANT_TABLES)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_every_tenant_table_forces_rls_with_a_complete_policy(table):
    [(enabled, forced)] = _rows(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
    )
    assert enabled and forced, f"{table} must ENABLE and FORCE row level security"
    policies = _rows("SELECT qual, with_check FROM pg_policies WHERE tablename = %s", [table])
    assert policies, f"{table} has no policy"
    assert all(using and check for using, check in policies), f"{table}: USING and WITH CHECK"


@pytest.mark.django_db
def test_every_table_with_an_organization_column_is_a_tenant_table():
    tables = {
        row[0]
        for row in _rows(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'organization_id'"
        )
    }
    assert tables <= set(TENANT_TABLES)


# Every key from one tenant table to another, by its single column, and the composite keys
# (organization_id, column) → (organization_id, id) beside them.
KEYS_BETWEEN_TENANT_TABLES = """
    SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = %s
      AND c.conrelid::regclass::text = ANY(%s) AND c.confrelid::regclass::text = ANY(%s)
      AND c.conrelid <> 'tenancy_organization'::regclass
      AND c.confrelid <> 'tenancy_organization'::regclass
"""
COMPOSITE_KEYS = """
    SELECT c.conrelid::regclass::text, a2.attname, c.confrelid::regclass::text
    FROM pg_constraint c
    JOIN pg_attribute a1 ON a1.attrelid = c.conrelid AND a1.attnum = c.conkey[1]
    JOIN pg_attribute a2 ON a2.attrelid = c.conrelid AND a2.attnum = c.conkey[2]
    JOIN pg_attribute f1 ON f1.attrelid = c.confrelid AND f1.attnum = c.confkey[1]
    JOIN pg_attribute f2 ON f2.attrelid = c.confrelid AND f2.attnum = c.confkey[2]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 2
      AND a1.attname = 'organization_id' AND f1.attname = 'organization_id' AND f2.attname = 'id'
"""


@pytest.mark.django_db
def test_every_key_between_tenant_tables_is_keyed_within_the_organization():
    """A key check ignores row-level security: a key to another tenant table by its id alone
    lets a row of B name A's account. Each needs its composite twin (KeyWithinTenant), or
    must be the composite key itself (AccountOfSameTenant)."""
    single = set(_rows(KEYS_BETWEEN_TENANT_TABLES, [1, TENANT_TABLES, TENANT_TABLES]))
    composite = set(_rows(COMPOSITE_KEYS))
    assert {("health_healthoverride", "account_id", "accounts_account")} <= single
    assert {("segments_tiermigration", "account_id", "accounts_account")} <= composite
    assert sorted(single - composite) == []


def _row_of_b(table: str, org_b, account_b):
    """A legitimate row of B in `table`, naming B's account."""
    from datetime import timedelta

    from django.utils import timezone

    from health.models import HealthOverride
    from maturity.models import Assessment, SurveyLink
    from maturity.services import framework_create_from_template
    from playbooks.models import Playbook, PlaybookRun, PlaybookTask

    later = timezone.now() + timedelta(days=3)
    if table == "health_healthoverride":
        return HealthOverride.objects.create(
            organization=org_b, account=account_b, score=50, reason="r", expires_at=later
        )
    framework = framework_create_from_template(organization=org_b, template="cmi")
    if table == "maturity_surveylink":
        return SurveyLink.objects.create(
            organization=org_b, account=account_b, framework=framework, expires_at=later
        )
    if table == "maturity_assessment":
        return Assessment.objects.create(
            organization=org_b, account=account_b, version=framework.current_version
        )
    playbook = Playbook.objects.create(organization=org_b, name="P")
    run = PlaybookRun.objects.create(
        organization=org_b,
        playbook=playbook,
        account=account_b,
        trigger="manual",
        started_at=timezone.now(),
    )
    if table == "playbooks_playbookrun":
        return run
    return PlaybookTask.objects.create(
        organization=org_b, run=run, account=account_b, position=1, title="T", due_on=later
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table",
    [
        "health_healthoverride",
        "maturity_surveylink",
        "maturity_assessment",
        "playbooks_playbookrun",
        "playbooks_playbooktask",
    ],
)
def test_a_row_of_b_cannot_be_made_to_name_an_account_of_a(
    table, org_b, account_a, account_b, in_tenant
):
    """Row-level security passes the row (it stays B's); the key within the organization
    refuses A's account, where Django's key to the account alone took it."""
    from django.db import IntegrityError, transaction

    with in_tenant(org_b):
        row = _row_of_b(table, org_b, account_b)
        connection.check_constraints()
    refused = pytest.raises(IntegrityError, match="same_tenant")
    with refused, in_tenant(org_b), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(account_id=account_a.pk)
        connection.check_constraints()


@pytest.mark.django_db
def test_the_app_role_is_not_superuser_owner_or_bypassrls():
    [(user, superuser, bypass)] = _rows(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert not superuser and not bypass
    owners = {
        row[0]
        for row in _rows(
            "SELECT tableowner FROM pg_tables WHERE tablename = ANY(%s)", [TENANT_TABLES]
        )
    }
    assert user not in owners


@pytest.mark.django_db
def test_raw_sql_without_a_tenant_sees_no_rows(account_a, account_b, carol, bob):
    for table in TENANT_TABLES:
        [(count,)] = _rows(f"SELECT count(*) FROM {table}")
        assert count == 0, f"{table} leaked {count} rows with no tenant set"


@pytest.mark.django_db
def test_raw_sql_in_a_tenant_sees_only_that_tenant(account_a, account_b, in_tenant, org_a):
    with in_tenant(org_a):
        names = [row[0] for row in _rows("SELECT name FROM accounts_account")]
    assert names == ["Acme (A)"]


@pytest.mark.django_db
def test_rls_rejects_writing_a_row_into_another_tenant(org_a, org_b, in_tenant):
    from django.db import DatabaseError, transaction

    refused = pytest.raises(DatabaseError, match="row-level security")
    with in_tenant(org_a), refused, transaction.atomic():
        _rows(
            "INSERT INTO accounts_account (organization_id, name, industry, isic_code, "
            "size_band, region, lifecycle_stage, arr, created_at, updated_at) VALUES "
            "(%s, 'smuggled', '', '', '', '', 'onboarding', 0, now(), now())",
            [str(org_b.id)],
        )


def _log_row(kind, organization, account_id):
    from django.utils import timezone

    from health.models import HealthSnapshot
    from segments.models import TierMigration

    if kind == "snapshot":
        return HealthSnapshot.objects.create(
            organization=organization,
            account_id=account_id,
            completeness=1,
            taken_at=timezone.now(),
        )
    return TierMigration.objects.create(
        organization=organization,
        account_id=account_id,
        to_segment="save",
        occurred_at=timezone.now(),
    )


@pytest.mark.parametrize("kind", ["snapshot", "migration"])
def test_a_snapshot_or_migration_names_only_an_account_of_its_own_tenant(
    org_b, account_a, account_b, in_tenant, kind
):
    """Row-level security checks the row's organization; the key (organization, account)
    checks that the account is of that organization too, which a key to the account alone,
    blind to row-level security, did not."""
    from django.db import IntegrityError, transaction

    with in_tenant(org_b):
        _log_row(kind, org_b, account_b.pk)
        connection.check_constraints()  # the deferred keys, checked now
    refused = pytest.raises(IntegrityError, match="account_of_same_tenant")
    with refused, in_tenant(org_b), transaction.atomic():
        _log_row(kind, org_b, account_a.pk)
        connection.check_constraints()


@pytest.mark.django_db
def test_the_orm_refuses_tenant_queries_without_a_tenant(account_a):
    with pytest.raises(ScopeError):
        list(Account.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.count()


@pytest.mark.django_db
def test_the_orm_scopes_to_the_active_tenant(account_a, account_b, in_tenant, org_b):
    with in_tenant(org_b):
        assert list(Account.objects.values_list("name", flat=True)) == ["Bravo (B)"]
        assert not Account.objects.filter(pk=account_a.pk).exists()
