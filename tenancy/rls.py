"""Row-level security: the PostgreSQL backstop behind the ORM scoping.

Each tenant table gets RLS enabled and forced (so even the table owner is subject to it)
and one policy with both USING and WITH CHECK. Migrations add it with `EnableRLS`; a test
reads the catalog and fails if any tenant table was forgotten.
"""

from collections.abc import Iterator

from django.db.migrations.operations.base import Operation

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
CURRENT_API_KEY_PREFIX = "NULLIF(current_setting('app.api_key_prefix', true), '')"
CURRENT_ORGANIZATION_SLUG = "NULLIF(current_setting('app.organization_slug', true), '')"
LISTING_ORGANIZATIONS = "current_setting('app.list_organizations', true) = 'on'"
POLICY_NAME = "tenant_isolation"


def tenant_match(column: str = "organization_id") -> str:
    return f"{column} = {CURRENT_TENANT}"


def each_tenant(connection) -> Iterator[str | None]:
    """For a data migration on `connection` (Django's): on PostgreSQL, enter each
    organization's tenant setting in turn, since row-level security is forced on the tables'
    owner too, and leave it after; elsewhere, run once with no tenant."""
    if connection.vendor != "postgresql":
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.list_organizations', 'on', true)")
        cursor.execute("SELECT id FROM tenancy_organization")
        tenants = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute("SELECT set_config('app.list_organizations', '', true)")
        try:
            for tenant in tenants:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [tenant])
                yield tenant
        finally:
            cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class EnableRLS(Operation):
    """Enable and force RLS on a model's table, with a tenant policy. No-op off PostgreSQL."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, using: str | None = None, check: str | None = None):
        self.model_name = model_name
        self.using = using or tenant_match()
        self.check = check or tenant_match()

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.using != tenant_match():
            kwargs["using"] = self.using
        if self.check != tenant_match():
            kwargs["check"] = self.check
        return (self.__class__.__name__, [], kwargs)

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} USING ({self.using}) WITH CHECK ({self.check})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"


class AccountOfSameTenant(Operation):
    """A foreign key from a tenant table's (organization_id, account_id) to the account's
    (organization_id, id): the row may only name an account of its own organization.

    It replaces the two single-column keys (to the account, to the organization): one check
    per written row instead of two, and a guarantee neither gave, since a key check ignores
    row-level security. The model declares both fields with db_constraint=False. Deferred
    to commit, as Django's keys are. No-op off PostgreSQL.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self):
        return (self.__class__.__name__, [], {"model_name": self.model_name})

    def state_forwards(self, app_label, state):
        pass

    def _names(self, app_label, state, schema_editor) -> tuple[str, str]:
        table = state.apps.get_model(app_label, self.model_name)._meta.db_table
        quote = schema_editor.quote_name
        return quote(table), quote(f"{table}_account_of_same_tenant")

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, name = self._names(app_label, to_state, schema_editor)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (organization_id, account_id) "
            "REFERENCES accounts_account (organization_id, id) DEFERRABLE INITIALLY DEFERRED"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, name = self._names(app_label, from_state, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")

    def describe(self):
        return f"Key {self.model_name}'s account within its organization"

    @property
    def migration_name_fragment(self):
        return f"account_of_same_tenant_{self.model_name.lower()}"


class KeyWithinTenant(Operation):
    """A second key beside Django's on a tenant table's reference to another tenant table:
    (organization_id, <field>_id) → the target's (organization_id, id). A key check ignores
    row-level security, so Django's single-column key let a row of B name A's account (or
    run, or framework); this one refuses it. The target gets the unique index the key needs.
    Deferred to commit, as Django's keys are. No-op off PostgreSQL.

    tests/tenancy/test_rls.py fails on any key between two tenant tables without its twin.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name, self.field_name = model_name, field_name

    def deconstruct(self):
        return (self.__class__.__name__, [self.model_name, self.field_name], {})

    def state_forwards(self, app_label, state):
        pass

    def _names(self, app_label, state, schema_editor) -> dict[str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        table, target = model._meta.db_table, field.related_model._meta.db_table
        quote = schema_editor.quote_name
        return {
            "table": quote(table),
            "column": quote(field.column),
            "target": quote(target),
            "index": quote(f"{target}_tenant_id_uniq"),
            "name": quote(f"{table}_{field.column}_same_tenant"),
        }

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        names = self._names(app_label, to_state, schema_editor)
        schema_editor.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {target} (organization_id, id)".format(
                **names
            )
        )
        schema_editor.execute(
            "ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (organization_id, {column}) "
            "REFERENCES {target} (organization_id, id) DEFERRABLE INITIALLY DEFERRED".format(
                **names
            )
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        names = self._names(app_label, from_state, schema_editor)
        schema_editor.execute(
            "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}".format(**names)
        )

    def describe(self):
        return f"Key {self.model_name}.{self.field_name} within its organization"

    @property
    def migration_name_fragment(self):
        return f"key_within_tenant_{self.model_name.lower()}_{self.field_name}"
