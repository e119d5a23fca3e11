from django import forms

from .models import EVENTS
from .services import MAX_OVERLAP_HOURS


class SubscriptionForm(forms.Form):
    url = forms.URLField(max_length=500, label="Endpoint URL", assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in EVENTS], widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)


class SubscriptionEditForm(SubscriptionForm):
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="A paused endpoint is sent nothing."
    )


class SecretRotationForm(forms.Form):
    overlap_hours = forms.IntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_HOURS,
        initial=24,
        label="Old secret keeps signing for (hours)",
        help_text="0 stops it at once, for a secret that leaked.",
    )
