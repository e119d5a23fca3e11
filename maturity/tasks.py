from django.core.cache import cache

from accounts.models import Account
from tenancy.tasks import tenant_task

from .recompute import accounts_recompute_cmi


def recompute_progress_key(framework_id: int) -> str:
    return f"maturity:recompute:{framework_id}"


@tenant_task()
def recompute_account(account_id: int) -> None:
    accounts_recompute_cmi(accounts=Account.objects.filter(pk=account_id))


@tenant_task()
def recompute_framework(framework_id: int) -> None:
    key = recompute_progress_key(framework_id)

    def progress(done, total):
        cache.set(key, {"done": done, "total": total, "finished": done >= total}, 3600)

    cache.set(key, {"done": 0, "total": 0, "finished": False}, 3600)
    accounts_recompute_cmi(progress=progress)
    state = cache.get(key) or {}
    cache.set(key, {**state, "finished": True}, 3600)
