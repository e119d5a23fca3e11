from tenancy.models import Membership

from .models import Account


def can_edit_account(membership: Membership, account: Account) -> bool:
    """Managers work every account; a CSM works the accounts they own; viewers none."""
    return membership.can_manage or (
        membership.can_write and account.owner_csm_id == membership.user_id
    )
