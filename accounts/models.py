from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel


class SizeBand(models.TextChoices):
    SMALL = "small", "Small (1–50)"
    MID = "mid", "Mid-market (51–500)"
    LARGE = "large", "Large (501–5,000)"
    ENTERPRISE = "enterprise", "Enterprise (5,000+)"


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    EXPANSION = "expansion", "Expansion"
    RENEWAL = "renewal", "Renewal"
    CHURNED = "churned", "Churned"


isic_code_validator = RegexValidator(r"^\d{4}$", "An ISIC Rev.4 class is four digits, e.g. 4651.")


@audited(
    fields=[
        "organization",
        "name",
        "external_id",
        "industry",
        "isic_code",
        "size_band",
        "region",
        "lifecycle_stage",
        "arr",
        "renewal_date",
        "owner_csm",
    ]
)
class Account(TenantModel):
    """A customer of the vendor that uses Ascend."""

    name = models.CharField(max_length=200)
    # NULL, not "", when absent: accounts without a CRM id must not collide on the constraint.
    external_id = models.CharField(  # noqa: DJ001
        "CRM id", max_length=100, null=True, blank=True, help_text="The account's id in your CRM."
    )
    industry = models.CharField(max_length=100, blank=True)
    isic_code = models.CharField(
        "ISIC code", max_length=4, blank=True, validators=[isic_code_validator]
    )
    size_band = models.CharField(max_length=12, choices=SizeBand.choices, blank=True)
    region = models.CharField(max_length=50, blank=True)
    lifecycle_stage = models.CharField(
        max_length=12, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING
    )
    arr = models.DecimalField(
        "ARR", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    renewal_date = models.DateField(null=True, blank=True)
    owner_csm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="CSM",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Derived by the recompute (recompute.pipeline), never edited by hand.
    cmi = models.FloatField("CMI", null=True, blank=True, editable=False)
    cmi_tier = models.CharField("CMI tier", max_length=60, blank=True, editable=False)
    cmi_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Derived by health.services: the score shown is the override's while one is active.
    chs = models.FloatField("CHS", null=True, blank=True, editable=False)
    chs_level = models.CharField("CHS level", max_length=40, blank=True, editable=False)
    chs_completeness = models.FloatField(null=True, blank=True, editable=False)
    chs_stale = models.BooleanField(default=False, editable=False)
    chs_overridden = models.BooleanField(default=False, editable=False)
    chs_trend_30 = models.FloatField(
        "CHS change over 30 days", null=True, blank=True, editable=False
    )
    chs_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The grid cell of (CHS level, CMI tier), '' while either is missing (segments.provider).
    # Not indexed: nine values index poorly, and an index on a column the recompute writes
    # would keep its UPDATEs from being HOT (see the table's fillfactor, migration 0009).
    segment = models.CharField(max_length=40, blank=True, editable=False)
    segment_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the account's last change (a move of updated_at or of a score stamp above) sits
    # in the changes feed (tenancy.feed), set by a trigger in the writing transaction
    # (migration 0025), whoever writes. Not indexed, like `segment`: the recompute moves it.
    change_position = models.BigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="account_unique_external_id"
            ),
            # The API's pages (newest first) read only this tenant's rows through it, and
            # snapshots and migrations key their account with it (tenancy.rls).
            models.UniqueConstraint(fields=["organization", "id"], name="account_in_organization"),
        ]
        indexes = [models.Index(fields=["organization", "name"])]
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Job(TenantModel):
    """Work a worker does for a member, out of the request: its row is its own outbox entry
    (accounts.jobs sends its task after commit, and beat's relay sends it again when that
    task was lost), and it says how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its task was last sent.
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    noun = "job"  # what the member asked for, in their words

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)


@audited(
    fields=[
        "organization",
        "kind",
        "filename",
        "mode",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "created_by",
    ]
)
class ImportJob(Job):
    """One CSV upload of accounts: its file, its outcome and the report of bad rows."""

    noun = "import"

    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", "Accounts"
        METRICS = "metrics", "Health metrics"
        OUTCOMES = "outcomes", "Renewal outcomes"
        ASSESSMENTS = "assessments", "Assessment history"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", "Write nothing if any row is bad"
        GOOD_ROWS = "good", "Import the good rows, report the bad ones"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ACCOUNTS)
    filename = models.CharField(max_length=255)
    content = models.TextField()
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)

    class Meta(Job.Meta):
        pass

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"


class MappingPreset(TenantModel):
    """A mapping of a CRM's columns to an import's fields, kept under a name for the team."""

    kind = models.CharField(max_length=12, choices=ImportJob.Kind.choices)
    name = models.CharField(max_length=80)
    mapping = models.JSONField(default=dict, help_text="Field → the file's column.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "name"], name="mapping_preset_unique_name"
            )
        ]

    def __str__(self):
        return self.name


class BulkJob(Job):
    """One action on many accounts at once (a playbook started on each), too many to do
    within the request: the ids chosen when it was asked, and what it did."""

    noun = "bulk action"

    action = models.CharField(max_length=40)
    option = models.CharField(max_length=40, blank=True)
    account_ids = models.JSONField(default=list)
    summary = models.CharField(max_length=500, blank=True)

    class Meta(Job.Meta):
        pass

    def __str__(self):
        return f"{self.action} on {len(self.account_ids)} accounts ({self.get_status_display()})"


class AccountDeletion(TenantModel):
    """A deleted account's tombstone: a CRM syncing by polling learns of the deletion from
    /api/v1/account-deletions/, with the ids it knew the account by."""

    account_id = models.BigIntegerField(help_text="The deleted account's id.")
    external_id = models.CharField(  # noqa: DJ001
        "CRM id", max_length=100, null=True, blank=True
    )
    name = models.CharField(max_length=200)
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "deleted_at"])]
        ordering = ["-id"]
        verbose_name = "account deletion"

    def __str__(self):
        return f"{self.name} (deleted)"


class Note(TenantModel):
    """A line in the account's timeline written by the team, or by Ascend about a change it
    made (a CSM reassignment). Mentions are member ids, notified when the note is written."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        REASSIGNED = "reassigned", "CSM reassigned"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=5000)
    mentions = models.JSONField(default=list, blank=True, help_text="Ids of members mentioned.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return self.body[:60]


class SavedView(TenantModel):
    """A named, filtered and sorted account list ("my renewals this quarter"): its query
    string, as the list page's filter reads it. Its owner's, or shared with the organization."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000)
    shared = models.BooleanField(default=False, help_text="Everyone in the organization sees it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "name"], name="saved_view_unique_name"
            )
        ]

    def __str__(self):
        return self.name
