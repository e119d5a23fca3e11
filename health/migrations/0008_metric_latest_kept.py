"""MetricLatest (0007) filled, and kept by the database from now on.

Triggers on health_metricvalue keep it whatever writes the values, the ORM or raw SQL:
- an insert upserts the newest inserted value of each (account, metric), and replaces the
  stored one only when the new one is later by (observed_at, id): values may arrive out of
  order, and the rows of one statement in any order;
- an update or a delete (neither is done by the app, but a data fix may) reads the latest
  value of each (account, metric) it touched afresh from the history.
On PostgreSQL they run once per statement over its rows (transition tables), so a bulk
insert upserts once; on SQLite, once per row. They run as the writer, under row-level
security, so they can only write the writer's tenant's rows.

The backfill runs once per organization, inside its tenant setting, since row-level
security is forced on the table's owner too.
"""

from django.db import migrations

from tenancy.rls import each_tenant

COLUMNS = "organization_id, account_id, metric, metric_value_id, number, text, observed_at"
VALUE = "organization_id, account_id, metric, id, number, text, observed_at"
LATER = """ON CONFLICT (account_id, metric) DO UPDATE SET
      metric_value_id = excluded.metric_value_id, number = excluded.number,
      text = excluded.text, observed_at = excluded.observed_at
    WHERE (excluded.observed_at, excluded.metric_value_id)
        > (health_metriclatest.observed_at, health_metriclatest.metric_value_id)"""


def latest_of(rows: str) -> str:
    """PostgreSQL: store the latest of `rows` (a FROM clause) per (account, metric)."""
    return f"""INSERT INTO health_metriclatest ({COLUMNS})
    SELECT DISTINCT ON (account_id, metric) {VALUE}
    FROM {rows}
    ORDER BY account_id, metric, observed_at DESC, id DESC
    {LATER}"""


def refreshed(pairs: str) -> str:
    """PostgreSQL: read the latest value of each (account, metric) of `pairs` afresh."""
    return f"""DELETE FROM health_metriclatest l USING ({pairs}) p
      WHERE l.account_id = p.account_id AND l.metric = p.metric;
    {latest_of(f"health_metricvalue JOIN ({pairs}) p USING (account_id, metric)")}"""


def sqlite_refreshed(row: str) -> str:
    match = f"account_id = {row}.account_id AND metric = {row}.metric"
    return f"""DELETE FROM health_metriclatest WHERE {match};
      INSERT INTO health_metriclatest ({COLUMNS})
      SELECT {VALUE} FROM health_metricvalue WHERE {match}
      ORDER BY observed_at DESC, id DESC LIMIT 1;"""


TOUCHED = "SELECT account_id, metric FROM new_rows"
POSTGRESQL = [
    f"""CREATE FUNCTION health_metric_latest_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {latest_of("inserted")};
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER health_metric_latest_insert AFTER INSERT ON health_metricvalue
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION health_metric_latest_insert()""",
    # One function for both: a query naming `new_rows` is only planned when an update runs it.
    f"""CREATE FUNCTION health_metric_latest_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        {refreshed("SELECT account_id, metric FROM old_rows UNION " + TOUCHED)};
      ELSE
        {refreshed("SELECT DISTINCT account_id, metric FROM old_rows")};
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER health_metric_latest_update AFTER UPDATE ON health_metricvalue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION health_metric_latest_refresh()""",
    """CREATE TRIGGER health_metric_latest_delete AFTER DELETE ON health_metricvalue
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION health_metric_latest_refresh()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS health_metric_latest_insert ON health_metricvalue",
    "DROP TRIGGER IF EXISTS health_metric_latest_update ON health_metricvalue",
    "DROP TRIGGER IF EXISTS health_metric_latest_delete ON health_metricvalue",
    "DROP FUNCTION IF EXISTS health_metric_latest_insert()",
    "DROP FUNCTION IF EXISTS health_metric_latest_refresh()",
]
SQLITE = [
    f"""CREATE TRIGGER health_metric_latest_insert AFTER INSERT ON health_metricvalue
    BEGIN
      INSERT INTO health_metriclatest ({COLUMNS})
      VALUES (NEW.organization_id, NEW.account_id, NEW.metric, NEW.id, NEW.number, NEW.text,
              NEW.observed_at)
      {LATER};
    END""",
    f"""CREATE TRIGGER health_metric_latest_update AFTER UPDATE ON health_metricvalue
    BEGIN
      {sqlite_refreshed("OLD")}
      {sqlite_refreshed("NEW")}
    END""",
    f"""CREATE TRIGGER health_metric_latest_delete AFTER DELETE ON health_metricvalue
    BEGIN
      {sqlite_refreshed("OLD")}
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS health_metric_latest_{event}"
    for event in ("insert", "update", "delete")
]
# Row by row, each upsert keeping the later value. ("WHERE true" tells SQLite's parser the
# ON CONFLICT is the insert's, not a join's.)
SQLITE_BACKFILL = f"""INSERT INTO health_metriclatest ({COLUMNS})
    SELECT {VALUE} FROM health_metricvalue WHERE true
    {LATER}"""


def fill(connection) -> None:
    """Store the latest value of every (account, metric) from the history."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for _tenant in each_tenant(connection):
            cursor.execute(latest_of("health_metricvalue") if postgresql else SQLITE_BACKFILL)


def keep(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        schema_editor.execute(statement)
    fill(schema_editor.connection)


def drop(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        schema_editor.execute(statement)
    # nothing keeps it now: empty, so that a later fill starts clean (TRUNCATE: all tenants)
    schema_editor.execute(f"{'TRUNCATE' if postgresql else 'DELETE FROM'} health_metriclatest")


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0007_metric_latest"),
        ("tenancy", "0003_organization_listing"),
    ]

    operations = [migrations.RunPython(keep, drop)]
