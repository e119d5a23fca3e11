"""Recomputes as the tests start them: through the production code, never a copy of it;
and a row lock a test holds, to stop a worker's recompute at a known point."""

import re
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.db import connection

from core.derivation import Cause, providers
from recompute.tasks import run_request
from tenancy.context import tenant_context


def recompute_run(organization_id, account_ids, cause=None) -> int:
    """What a drain does for one request (recompute.tasks.run_request), in the tenant and
    redoing every provider: these accounts, or the whole tenant (in parts, with workers).
    `cause` is (kind, id) as stored. Returns how many accounts moved cell here."""
    with tenant_context(organization_id):
        reason = Cause.of(*cause) if cause else Cause()
        return run_request(account_ids, reason, frozenset(p.key for p in providers()))


@contextmanager
def row_held(org, table: str, pk: int):
    """Hold a row's lock from a connection of the test's own, in the tenant, for the block;
    yields a predicate: another backend is waiting for that lock."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], autocommit=False
    ) as holder:
        holder.execute("SELECT set_config('app.tenant_id', %s, true)", [str(org.id)])
        holder.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])
        me = holder.execute("SELECT pg_backend_pid()").fetchone()[0]

        def waiting() -> bool:
            """another backend waits on the row the test holds"""
            with psycopg.connect(
                host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"]
            ) as looker:
                blocked = looker.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    [me],
                ).fetchone()[0]
            return blocked > 0

        try:
            yield waiting
        finally:
            holder.rollback()


WORKER_LOG = Path(__file__).resolve().parent / ".worker.log"


def worker_log_caught_up(task: str, offset: int = 0) -> bool:
    """Whether every `task` the shared worker received (after `offset` in its log) has its
    outcome logged too. The worker commits before it logs, so a test that sees a task's rows
    must wait for this before reading what the log says of it."""
    text = WORKER_LOG.read_text(errors="replace")[offset:]
    name = re.escape(task)
    received = len(re.findall(rf"{name}\[[^\]]+\] received", text))
    done = len(re.findall(rf"{name}\[[^\]]+\] (?:succeeded|raised|failed)", text))
    return received == done
