import uuid
from collections.abc import Iterable
from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .context import current_organization_id, tenant_context
from .hooks import member_leaving, organization_created, organization_defaults
from .models import (
    ROLE_RANK,
    GroupRole,
    IdentitySettings,
    KeyScope,
    Membership,
    Organization,
    OrganizationAPIKey,
    Role,
    User,
)


@transaction.atomic
def organization_create(*, name: str, slug: str, owner: User) -> Organization:
    organization = Organization(id=uuid.uuid4(), name=name, slug=slug)
    with tenant_context(organization.id):
        organization.save()
        Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
        organization_created(organization=organization)
    return organization


@transaction.atomic
def organization_defaults_install(*, organization: Organization, by: User) -> None:
    """The starting framework, scorecard and playbooks of a real tenant, from the apps that
    own them."""
    with tenant_context(organization.id):
        organization_defaults(organization=organization, by=by)


def user_get_or_create(*, email: str, password: str | None = None) -> tuple[User, bool]:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    return User.objects.create_user(email=email, password=password), True


@transaction.atomic
def membership_add(
    *, organization: Organization, email: str, role: str, request: HttpRequest | None = None
) -> Membership:
    """Add a person by email; someone new gets an account and a link to choose a password."""
    user, created = user_get_or_create(email=email)
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    if created and request is not None:
        transaction.on_commit(lambda: _send_invitation(user, organization, request))
    return membership


def site_link_context() -> dict[str, str]:
    """The scheme and host of links in emails: SITE_URL's, never the request's, whose Host
    header is the sender's to choose."""
    parts = urlsplit(settings.SITE_URL)
    return {"protocol": parts.scheme, "domain": parts.netloc, "site_name": parts.netloc}


def _send_invitation(user: User, organization: Organization, request: HttpRequest) -> None:
    """A password-reset link doubles as the invitation: the new member chooses a password."""
    context = {
        "organization": organization,
        "email": user.email,
        **site_link_context(),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = render_to_string("registration/invitation_subject.txt", context).strip()
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])


class LastOwnerError(Exception):
    pass


def _ensure_another_owner(membership: Membership) -> None:
    others = Membership.objects.filter(role=Role.OWNER).exclude(pk=membership.pk)
    if membership.role == Role.OWNER and not others.exists():
        raise LastOwnerError("An organization needs at least one owner.")


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    if role != Role.OWNER:
        _ensure_another_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
@transaction.atomic
def member_sessions_end(*, membership: Membership) -> Membership:
    """Sign the member out of every session, on every device, at once: their sessions hold a
    hash of their session generation (User._get_session_auth_hash), so raising it makes
    Django end each of them on its next request. The membership records when (and the audit
    trail who). Their API keys are the organization's, not theirs, and stay."""
    User.objects.filter(pk=membership.user_id).update(
        session_generation=F("session_generation") + 1
    )
    membership.sessions_ended_at = timezone.now()
    membership.save(update_fields=["sessions_ended_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """A person leaves the organization, at once: their open tasks are handed on, every one
    of their sessions ends, the API and SCIM keys they created are revoked, and their
    membership goes (the next request finds no organization)."""
    _ensure_another_owner(membership)
    member_leaving(organization=membership.organization, user=membership.user)
    member_sessions_end(membership=membership)
    OrganizationAPIKey.objects.filter(created_by=membership.user_id, revoked=False).update(
        revoked=True
    )
    membership.delete()


def role_for_groups(groups: Iterable[str]) -> str | None:
    """The role of someone in these identity-provider groups: the highest that a mapped group
    gives, else the default role; None while the organization maps no group (roles are then
    set by hand, and provisioning leaves them alone)."""
    mapped = dict(GroupRole.objects.values_list("group", "role"))
    if not mapped:
        return None
    roles = [mapped[group] for group in groups if group in mapped]
    if roles:
        return max(roles, key=lambda role: ROLE_RANK.index(Role(role)))
    return identity_settings().default_role


def identity_settings() -> IdentitySettings:
    """The active organization's provisioning settings, made with their defaults if need be."""
    settings_, _ = IdentitySettings.objects.get_or_create(organization_id=current_organization_id())
    return settings_


@transaction.atomic
def membership_provision(*, user: User, role: str | None) -> Membership:
    """Make `user` a member (SCIM), with `role`, or the default role when None and new."""
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        return Membership.objects.create(
            organization_id=current_organization_id(),
            user=user,
            role=role or identity_settings().default_role,
        )
    if role is not None and role != membership.role:
        with suppress(LastOwnerError):  # the last owner stays one, whatever the groups say
            membership_change_role(membership=membership, role=role)
    return membership


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str,
    created_by: User | None = None,
    scope: str = KeyScope.API,
) -> tuple[OrganizationAPIKey, str]:
    """A key for the REST API, or (scope scim) a SCIM provisioning bearer token."""
    return OrganizationAPIKey.objects.create_key(  # type: ignore[return-value]
        organization=organization, name=name, created_by=created_by, scope=scope
    )


@transaction.atomic
def group_role_set(*, group: str, role: str | None) -> None:
    """Map an identity provider's group to a role (None: unmap it); every provisioned
    person's role follows at their next provisioning change."""
    if role is None:
        GroupRole.objects.filter(group=group).delete()
    else:
        GroupRole.objects.update_or_create(
            group=group,
            defaults={"role": role},
            create_defaults={"role": role, "organization_id": current_organization_id()},
        )


@transaction.atomic
def api_key_revoke(*, api_key: OrganizationAPIKey) -> OrganizationAPIKey:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key
