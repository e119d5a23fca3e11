"""Role checks for browser views. Cross-tenant objects never get this far: they are 404."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .models import Membership


def member_required(check: Callable[[Membership], bool] | None = None):
    """Require a signed-in member of the active organization, optionally passing `check`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "tenancy/no_organization.html", status=403)
            if check is not None and not check(request.membership):
                raise PermissionDenied("Your role in this organization does not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def can_write(membership: Membership) -> bool:
    return membership.can_write


def can_manage(membership: Membership) -> bool:
    return membership.can_manage


def is_owner(membership: Membership) -> bool:
    return membership.is_owner


def public_page(view):
    """A page for people outside the organization (the customer's survey): it renders as to
    a stranger, whoever is signed in. It may run in another tenant than the visitor's own
    (the link names it), so nothing of the visitor's session (their organization, role or
    task counts) may reach its templates or context processors."""
    from django.contrib.auth.models import AnonymousUser

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.user = AnonymousUser()
        request.organization, request.membership, request.memberships = None, None, []
        return view(request, *args, **kwargs)

    return wrapped
