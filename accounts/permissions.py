"""Who may change an account, for the browser and the API alike.

An API key acts for its organization with a manager's rights: its `membership` is None here.
"""

from django.http import HttpRequest

from tenancy.models import Membership, OrganizationAPIKey

from .models import Account


def acting_membership(request) -> Membership | None:
    """The signed-in member behind a request (browser or API), or None for an API key."""
    if isinstance(getattr(request, "auth", None), OrganizationAPIKey):
        return None
    django_request: HttpRequest = getattr(request, "_request", request)
    return getattr(django_request, "membership", None)


def can_edit_account(membership: Membership | None, account: Account) -> bool:
    """Managers (and API keys) work every account; a CSM works the accounts they own;
    viewers none."""
    if membership is None:
        return True
    return membership.can_manage or (
        membership.can_write and account.owner_csm_id == membership.user_id
    )


def can_delete_account(membership: Membership | None) -> bool:
    """Deleting an account (its history, scores and tasks with it) is a manager's call, in
    the browser as in the API; an API key acts as a manager."""
    return membership is None or membership.can_manage


def owner_change_error(
    membership: Membership | None, account: Account | None, owner_id: int | None
) -> str | None:
    """Why this member may not make `owner_id` the account's CSM (None: a new account)."""
    if membership is None or membership.can_manage:
        return None
    keeps = owner_id == (account.owner_csm_id if account is not None else membership.user_id)
    return None if keeps else "Only a manager can give an account to another CSM."
