"""Recomputes as the tests start them: through the production code, never a copy of it."""

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
