"""An account's place in the changes feed (tenancy.feed), set by PostgreSQL whoever writes:
the bulk upsert's INSERT … ON CONFLICT, the recompute's frame UPDATEs, an import, a PATCH.

Each writing transaction takes one position, as `tenancy.feed.position_take` does (a shared
lock on its tenant, the next value of the feed's sequence, a shared lock on that value), and
keeps it in a transaction-local setting, so a recompute of 100,000 accounts takes one
position and two locks, not one per row. A row moves only when it is inserted, or when its
`updated_at` or a score stamp moves, which is what `changed_since` reads too.
"""

from django.db import migrations, models

from tenancy.feed import POSITION_LOCKS, SEQUENCE, TENANT_LOCKS

CREATE = f"""
CREATE FUNCTION accounts_change_position() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    taken text := current_setting('ascend.change_position', true);
    position bigint;
BEGIN
    IF taken IS NULL OR taken = '' OR split_part(taken, ':', 1) <> NEW.organization_id::text THEN
        PERFORM pg_advisory_xact_lock_shared({TENANT_LOCKS}, hashtext(NEW.organization_id::text));
        position := nextval('{SEQUENCE}');
        PERFORM pg_advisory_xact_lock_shared({POSITION_LOCKS}, mod(position, 2147483647)::int);
        taken := NEW.organization_id::text || ':' || position;
        PERFORM set_config('ascend.change_position', taken, true);
    END IF;
    NEW.change_position := split_part(taken, ':', 2)::bigint;
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_change_position_insert BEFORE INSERT ON accounts_account
    FOR EACH ROW EXECUTE FUNCTION accounts_change_position();
CREATE TRIGGER accounts_change_position_update BEFORE UPDATE ON accounts_account
    FOR EACH ROW WHEN (
        OLD.updated_at IS DISTINCT FROM NEW.updated_at
        OR OLD.chs_updated_at IS DISTINCT FROM NEW.chs_updated_at
        OR OLD.cmi_updated_at IS DISTINCT FROM NEW.cmi_updated_at
        OR OLD.segment_updated_at IS DISTINCT FROM NEW.segment_updated_at
    )
    EXECUTE FUNCTION accounts_change_position();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_change_position_update ON accounts_account;
DROP TRIGGER IF EXISTS accounts_change_position_insert ON accounts_account;
DROP FUNCTION IF EXISTS accounts_change_position();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0024_audit_trail"),
        ("segments", "0013_feed_position"),  # the sequence
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="change_position",
            field=models.BigIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.RunPython(create, drop),
    ]
