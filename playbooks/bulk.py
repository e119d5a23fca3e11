"""Starting a playbook on many accounts at once, offered to the account list's bulk menu
(accounts.hooks.bulk_actions)."""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.bulk import BulkAction, Progress
from accounts.models import Account
from tenancy.models import Membership, User

from .models import Playbook, PlaybookRun
from .services import run_start

CHUNK = 500


def bulk_actions(*, membership: Membership) -> list[BulkAction]:
    if not membership.can_write:
        return []
    playbooks = [(str(p.pk), p.name) for p in Playbook.objects.filter(is_active=True)]
    if not playbooks:
        return []
    return [
        BulkAction(
            key="playbook",
            label="Start playbook",
            option_label="Playbook",
            options=playbooks,
            run=partial(runs_start_bulk, membership=membership),
        )
    ]


def runs_start_bulk(
    *,
    membership: Membership,
    option: str,
    account_ids: list[int],
    by: User,
    progress: Progress | None,
) -> str:
    """Start the playbook on each account it is not running on yet: every account for a
    manager, their own for a CSM (as one at a time, accounts.permissions). Again on the same
    accounts, it starts nothing twice."""
    playbook = Playbook.objects.filter(pk=int(option), is_active=True).first()
    if playbook is None:
        raise ValidationError("That playbook is not active any more.")
    accounts = Account.objects.filter(pk__in=account_ids).order_by("pk")
    if not membership.can_manage:
        accounts = accounts.filter(owner_csm_id=membership.user_id)
    chosen = list(accounts.values_list("pk", flat=True))
    running = set(
        PlaybookRun.objects.filter(
            playbook=playbook, account_id__in=chosen, status=PlaybookRun.Status.ACTIVE
        ).values_list("account_id", flat=True)
    )
    todo = [pk for pk in chosen if pk not in running]
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), CHUNK):
        with transaction.atomic():
            for account in Account.objects.filter(pk__in=todo[start : start + CHUNK]):
                run_start(playbook=playbook, account=account, by=by)
        if progress:
            progress(min(start + CHUNK, len(todo)), len(todo))
    parts = [f"“{playbook.name}” started on {len(todo)} account{'s' * (len(todo) != 1)}"]
    if running:
        parts.append(f"{len(running)} already running it")
    if left_out := len(set(account_ids)) - len(chosen):
        why = "deleted since" if membership.can_manage else "not yours, or deleted since"
        parts.append(f"{left_out} left out ({why})")
    return "; ".join(parts) + "."
