"""What provisioning changes in Ascend. A SCIM User is a person in the organization: active,
they are a member (with the role their groups map to); deactivated or deleted, they leave
at once (tenancy.services.membership_remove: sessions, keys, tasks). A SCIM Group decides
its members' roles where the organization maps its name (tenancy.services.role_for_groups)."""

from collections.abc import Iterable

from django.db import transaction

from tenancy.context import current_organization_id
from tenancy.models import Membership, User
from tenancy.services import membership_provision, membership_remove, role_for_groups

from .models import ScimGroup, ScimUser


class LastOwner(Exception):
    """Deactivating this person would leave the organization without an owner."""


def _email_of(data: dict) -> str | None:
    emails = data.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    email = (primary or {}).get("value") or data.get("userName") or ""
    return email.strip().lower() if "@" in email else None


def _roles_sync(people: Iterable[ScimUser]) -> None:
    groups = list(ScimGroup.objects.values_list("display_name", "members"))
    for person in people:
        if person.active and person.user is not None:
            names = [name for name, members in groups if person.pk in members]
            membership_provision(user=person.user, role=role_for_groups(names))


def _leave(person: ScimUser) -> None:
    if person.user is None:
        return
    membership = Membership.objects.filter(user=person.user).first()
    if membership is None:
        return
    from tenancy.services import LastOwnerError

    try:
        membership_remove(membership=membership)
    except LastOwnerError as error:
        raise LastOwner(str(error)) from error


@transaction.atomic
def _user_for(data: dict) -> User | None:
    """The Ascend user a resource stands for, found or made by email (one person may be in
    several organizations); None without an email."""
    email = _email_of(data)
    if email is None:
        return None
    return User.objects.filter(email__iexact=email).first() or User.objects.create_user(email)


@transaction.atomic
def user_create(*, data: dict) -> ScimUser:
    """A person from the provider, made a member unless created inactive."""
    user = _user_for(data)
    person = ScimUser.objects.create(
        organization_id=current_organization_id(),
        user=user,
        user_name=data["userName"],
        external_id=data.get("externalId") or "",
        active=data.get("active", True) is not False,
        data=data,
    )
    if person.active:
        _roles_sync([person])
    return person


@transaction.atomic
def user_replace(*, person: ScimUser, data: dict) -> ScimUser:
    """The person as the provider now describes them; deactivation ends their access."""
    was_active = person.active
    if person.user is None:
        person.user = _user_for(data)
    person.user_name = data["userName"]
    person.external_id = data.get("externalId") or ""
    person.active = data.get("active", True) is not False
    person.data = data
    if was_active and not person.active:
        _leave(person)
    person.save()
    if person.active:
        _roles_sync([person])
    return person


@transaction.atomic
def user_delete(*, person: ScimUser) -> None:
    _leave(person)
    for group in ScimGroup.objects.all():
        if person.pk in group.members:
            group.members = [m for m in group.members if m != person.pk]
            group.save(update_fields=["members", "updated_at"])
    person.delete()


@transaction.atomic
def group_save(*, group: ScimGroup, data: dict, members: list[ScimUser]) -> ScimGroup:
    """Create or replace a group; everyone it gained or lost gets their role anew."""
    before = set(group.members)
    if group.pk is None:
        group.organization_id = current_organization_id()
    group.display_name = data["displayName"]
    group.external_id = data.get("externalId") or ""
    group.members = [m.pk for m in members]
    group.data = data
    group.save()
    _roles_sync(ScimUser.objects.filter(pk__in=before | set(group.members)))
    return group


@transaction.atomic
def group_delete(*, group: ScimGroup) -> None:
    members = list(group.members)
    group.delete()
    _roles_sync(ScimUser.objects.filter(pk__in=members))
