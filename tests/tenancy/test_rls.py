"""PostgreSQL row-level security: the backstop under the ORM scoping."""

import pytest
from django.apps import apps
from django.db import connection
from django_scopes import ScopeError

from accounts.models import Account
from tenancy.models import Membership, Organization, TenantModel

TENANT_TABLES = sorted(
    {model._meta.db_table for model in apps.get_models() if issubclass(model, TenantModel)}
    | {Organization._meta.db_table}
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
