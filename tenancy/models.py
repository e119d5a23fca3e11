import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django_scopes import ScopedManager
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from core.audit import audited


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    """People sign in with their email address; usernames do not exist."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    # Raised to sign the person out of every session at once (tenancy.services
    # .member_sessions_end): each session keeps a hash of it, and Django drops a session
    # whose hash no longer matches on its next request.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self):
        return self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, and of the generation once it has been raised (at
        0 it is Django's own, so no session ends when this ships)."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "tenancy.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


@audited(fields=["name", "slug", "sso_required"])
class Organization(models.Model):
    """The tenant. Its id is chosen before insert so the row-level policy can admit it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Members sign in through the organization's identity provider only (tenancy
    # .middleware); owners keep their password, to get in when the provider is down.
    sso_required = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TenantModel(models.Model):
    """Base of every tenant-owned table: querying it with no active tenant raises ScopeError."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = ScopedManager(organization="organization")

    class Meta:
        abstract = True


def account_keyed_with_organization(related_name: str, *, keep: bool = False) -> models.ForeignKey:
    """The `account` of a tenant log written a row per account by a recompute: indexed only
    first in the model's own composite, and keyed with the organization to an account of the
    same tenant by one constraint (tenancy.rls.AccountOfSameTenant), since each key check
    costs every row written. With `keep`, a row outlives its account (the key becomes null;
    a null account is not checked)."""
    return models.ForeignKey(
        "accounts.Account",
        on_delete=models.SET_NULL if keep else models.CASCADE,
        null=keep,
        related_name=related_name,
        db_index=False,
        db_constraint=False,
    )


def organization_keyed_with_account() -> models.ForeignKey:
    """The `organization` of a tenant log written a row per account by a recompute: neither
    indexed alone (the model indexes it first in a composite) nor keyed alone, since its key
    on (organization, account) checks it (tenancy.rls.AccountOfSameTenant)."""
    return models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    CSM = "csm", "CSM"
    VIEWER = "viewer", "Viewer"


@audited(fields=["organization", "user", "role", "sessions_ended_at"])
class Membership(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CSM)
    created_at = models.DateTimeField(auto_now_add=True)
    # When an owner last signed the member out everywhere: audited, so the trail says who.
    sessions_ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        ordering = ["user__email"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_manage(self) -> bool:
        """Owners and managers may change anything in the organization."""
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER


class KeyScope(models.TextChoices):
    API = "api", "REST API"
    SCIM = "scim", "SCIM provisioning"


@audited(fields=["organization", "name", "prefix", "scope", "revoked", "expiry_date", "created_by"])
class OrganizationAPIKey(AbstractAPIKey, TenantModel):
    """A hashed, named, revocable key; the plain key is shown once, at creation. Its scope
    says where it is good: the REST API (`Api-Key` scheme) or SCIM provisioning (a bearer
    token at /scim/v2/), never both."""

    scope = models.CharField(max_length=4, choices=KeyScope.choices, default=KeyScope.API)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[BaseAPIKeyManager] = ScopedManager(  # type: ignore[assignment]
        organization="organization", _manager_class=BaseAPIKeyManager
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self):
        return f"{self.name} ({self.prefix})"


class IdempotencyRecord(TenantModel):
    """The first response to a POST that carried an Idempotency-Key, replayed to its repeats."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body.")
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_unique_key")
        ]

    def __str__(self):
        return f"{self.key} → {self.status}"


# From least to most: a person in several mapped groups gets the highest of their roles.
ROLE_RANK = [Role.VIEWER, Role.CSM, Role.MANAGER, Role.OWNER]


@audited(
    fields=[
        "organization",
        "default_role",
        "oidc_issuer",
        "oidc_client_id",
        "allowed_domains",
    ]
)
class IdentitySettings(TenantModel):
    """How people come into the organization from its identity provider: by single sign-on
    (OpenID Connect: the provider's issuer and this organization's client at it, and the
    email domains it may sign in) and by SCIM provisioning; and the role of someone in no
    mapped group. The client secret is not audited, only that the settings changed."""

    default_role = models.CharField(max_length=10, choices=Role.choices, default=Role.CSM)
    oidc_issuer = models.URLField("issuer URL", blank=True)
    oidc_client_id = models.CharField("client id", max_length=200, blank=True)
    oidc_client_secret = models.CharField("client secret", max_length=300, blank=True)
    allowed_domains = models.CharField(
        max_length=500,
        blank=True,
        help_text="Email domains that may sign in through the provider, comma-separated.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="identity_settings_one")
        ]

    def __str__(self):
        return f"New people join as {self.get_default_role_display()}"

    @property
    def sso_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.allowed_domains.split(",") if d.strip()]


@audited(fields=["organization", "group", "role"])
class GroupRole(TenantModel):
    """An identity provider's group (a SCIM group's displayName) and the role its members
    get. While an organization maps no group, roles are set by hand and provisioning leaves
    them alone."""

    group = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "group"], name="group_role_unique")
        ]
        ordering = ["group"]

    def __str__(self):
        return f"{self.group} → {self.get_role_display()}"
