from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.audit import audited
from tenancy.models import TenantModel

from .scoring import SCALE

SCALE_MIN, SCALE_MAX = SCALE


@audited(
    fields=[
        "organization",
        "name",
        "kind",
        "description",
        "is_primary",
        "provider_level",
        "current_version",
    ]
)
class Framework(TenantModel):
    """A maturity model a tenant scores accounts against. Its structure lives in versions."""

    class Kind(models.TextChoices):
        INDEX = "index", "Weighted index (pillars and factors)"
        USM = "usm", "USM value maturity (one 5-level scale)"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.INDEX)
    template = models.CharField(
        max_length=40, blank=True, help_text="The template it started from."
    )
    description = models.TextField(blank=True)
    is_primary = models.BooleanField(
        default=False, help_text="Its index is the account's CMI on the grid."
    )
    provider_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)],
        help_text="USM only: your own value-maturity level as a provider.",
    )
    current_version = models.ForeignKey(
        "FrameworkVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_primary=True),
                name="framework_one_primary",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def current(self) -> "FrameworkVersion":
        """The version assessments are made on. Null only for the instant between creating
        the framework and its first version (maturity.services)."""
        if self.current_version is None:
            raise ValueError(f"{self.name} has no version yet")
        return self.current_version


@audited(fields=["organization", "framework", "number", "created_by"])
class FrameworkVersion(TenantModel):
    """The pillars, factors and tiers as they were when assessments were scored against them."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(
        auto_now=True, help_text="Set before and after its pillars, factors or tiers change."
    )

    class Meta:
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="version_unique_number")
        ]

    def __str__(self):
        return f"{self.framework.name} v{self.number}"


@audited(fields=["organization", "version", "key", "name", "weight", "position", "survey_question"])
class Pillar(TenantModel):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="pillars")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    weight = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="Percent; a version's pillars total 100."
    )
    position = models.PositiveSmallIntegerField(default=0)
    survey_question = models.TextField(
        blank=True, help_text="The one question customers answer for this pillar."
    )

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="pillar_unique_key")]

    def __str__(self):
        return self.name


@audited(
    fields=[
        "organization",
        "pillar",
        "key",
        "name",
        "question",
        "low",
        "high",
        "direction",
        "position",
    ]
)
class Factor(TenantModel):
    class Direction(models.TextChoices):
        NORMAL = "normal", "Normal: 5 is most mature"
        INVERTED = "inverted", "Inverted: 5 is least mature"

    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="factors")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    question = models.TextField()
    low = models.TextField("what 1 (Low) means")
    level_2 = models.TextField(blank=True)
    level_3 = models.TextField(blank=True)
    level_4 = models.TextField(blank=True)
    high = models.TextField("what 5 (High) means")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.NORMAL)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["pillar__position", "position", "id"]

    def __str__(self):
        return self.name

    @property
    def inverted(self) -> bool:
        return self.direction == self.Direction.INVERTED


@audited(fields=["organization", "version", "name", "lower", "colour"])
class Tier(TenantModel):
    """A named band of the index, from `lower` (inclusive) up to the next tier's lower bound."""

    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=60)
    lower = models.DecimalField(max_digits=4, decimal_places=2)
    colour = models.CharField(max_length=7, default="#8892a6")

    class Meta:
        ordering = ["version", "lower"]

    def __str__(self):
        return self.name


class Assessment(TenantModel):
    """A CSM's scoring of an account. Once submitted it never changes; a correction is a new one."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="assessments"
    )
    version = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Scored at submission, at full precision, against `version`.
    cmi = models.FloatField(null=True, blank=True)
    tier = models.CharField(max_length=60, blank=True)
    pillar_scores = models.JSONField(default=dict, blank=True)
    completeness = models.FloatField(null=True, blank=True)
    is_partial = models.BooleanField(default=False)
    # A draft's comments on factors not answered yet (factor key → text): an Answer row is an
    # answer, a score or Unknown, and a comment typed before choosing one must not be lost.
    unscored_comments = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        indexes = [
            models.Index(fields=["account", "status", "submitted_at"]),
            models.Index(fields=["organization", "id"]),  # the API's pages, newest first
        ]

    def __str__(self):
        return f"{self.version} for {self.account}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(TenantModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    factor_key = models.SlugField(max_length=60)
    score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)],
        help_text="Empty means unknown.",
    )
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "factor_key"], name="answer_unique_factor"
            )
        ]


class SurveyLink(TenantModel):
    """A signed, expiring, revocable link to the customer's own survey; no login needed."""

    class Mode(models.TextChoices):
        SIMPLIFIED = "simplified", "Simplified: one question per pillar"
        FULL = "full", "Full: every factor"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_links"
    )
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.SIMPLIFIED)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Survey for {self.account} until {self.expires_at:%Y-%m-%d}"

    @property
    def state(self) -> str:
        """open, expired or withdrawn: whether the customer can still answer."""
        from django.utils import timezone

        if self.revoked_at is not None:
            return "withdrawn"
        return "expired" if self.expires_at <= timezone.now() else "open"


class SelfAssessment(TenantModel):
    """One customer contact's answers, kept apart from the CSMs' assessments."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="responses")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="self_assessments"
    )
    version = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    respondent_name = models.CharField(max_length=120)
    respondent_email = models.EmailField(blank=True)
    respondent_role = models.CharField(max_length=120, blank=True)
    answers = models.JSONField(default=dict, help_text="Factor or pillar key → 1-5, or null.")
    pillar_scores = models.JSONField(default=dict)
    cmi = models.FloatField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self):
        return f"{self.respondent_name} for {self.account}"
