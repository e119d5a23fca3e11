"""What the account page shows of playbooks: runs with their tasks, and a way to start one."""

from django.utils import timezone

from accounts.permissions import can_edit_account

from .forms import RunStartForm
from .selectors import playbooks_startable, runs_of_account


def playbook_panel(account, membership) -> dict:
    can_start = can_edit_account(membership, account)
    return {
        "playbook_runs": list(runs_of_account(account)[:20]),
        "start_form": RunStartForm(playbooks=playbooks_startable(account)) if can_start else None,
        "today": timezone.localdate(),
    }
