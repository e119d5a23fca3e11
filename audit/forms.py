from django import forms

from core.audit import ACTOR_KINDS
from tenancy.models import Membership, OrganizationAPIKey

from .selectors import ACTIONS, AuditFilter, object_kinds


class AuditFilterForm(forms.Form):
    """The audit page's filters: who (a kind of actor, or one person or key), what, which
    change, and a date range."""

    who = forms.ChoiceField(label="Who", required=False)
    object_type = forms.ChoiceField(label="What", required=False)
    object_id = forms.CharField(label="Its id", required=False, max_length=64)
    action = forms.ChoiceField(
        label="Change", required=False, choices=[("", "Any change"), *ACTIONS.items()]
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = Membership.objects.select_related("user").order_by("user__email")
        keys = OrganizationAPIKey.objects.order_by("name")
        self.fields["who"].choices = [
            ("", "Anyone"),
            *[(kind, f"Any {label.lower()}") for kind, label in ACTOR_KINDS.items()],
            ("People", [(f"user:{m.user_id}", m.user.email) for m in people]),
            ("API keys", [(f"api_key:{k.prefix}", f"{k.name} ({k.prefix})") for k in keys]),
        ]
        self.fields["object_type"].choices = [("", "Anything"), *object_kinds().items()]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end comes before the start.")
        return cleaned

    def filters(self) -> AuditFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        actor, _, actor_id = (data.get("who") or "").partition(":")
        return AuditFilter(
            actor=actor,
            actor_id=actor_id,
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            action=data.get("action") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
