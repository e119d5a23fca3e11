import uuid

from django.conf import settings
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel


@audited(fields=["organization", "user", "user_name", "external_id", "active"])
class ScimUser(TenantModel):
    """A person as the identity provider manages them in this organization: the SCIM User
    resource it last wrote (`data`), and the Ascend user it stands for. Active, the person
    is a member; deactivated, they are not, and the record remains for the provider. A
    resource with no email address (none in `emails`, and a userName that is not one) stands
    for nobody yet: no one can sign in without one, so it waits for an email."""

    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    user_name = models.CharField(max_length=300)
    external_id = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="scim_user_one"),
            models.UniqueConstraint(
                fields=["organization", "user_name"], name="scim_user_name_unique"
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.user_name


@audited(fields=["organization", "display_name", "external_id", "members"])
class ScimGroup(TenantModel):
    """A group as the identity provider manages it: its members (ScimUser ids) decide their
    roles where the organization maps the group's name (tenancy.GroupRole)."""

    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=300)
    external_id = models.CharField(max_length=300, blank=True)
    members = models.JSONField(default=list, help_text="ScimUser ids, in the order given.")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "display_name"], name="scim_group_name_unique"
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.display_name
