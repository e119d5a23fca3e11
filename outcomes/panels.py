from accounts.permissions import can_edit_account

from .models import Outcome


def outcomes_panel(account, membership) -> dict:
    return {
        "outcomes": Outcome.objects.filter(account=account).select_related("created_by")[:20],
        "can_record_outcome": can_edit_account(membership, account),
    }
