from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import SizeBand, isic_code_validator
from core.forms import RowLabels
from maturity.models import Tier
from tenancy.models import Membership, Role

from .models import OwnerRole, Playbook, PlaybookTask
from .services import CELL_KEYS


class ListField(forms.CharField):
    """A comma-separated list in one text box: ISIC classes."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class PlaybookForm(forms.ModelForm):
    cells = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="Accounts entering these cells start it."
    )
    tiers = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Only maturity tiers",
        help_text="Leave empty for every tier.",
    )
    size_bands = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        choices=SizeBand.choices,
        required=False,
        label="Only size bands",
        help_text="Leave empty for every size.",
    )
    isic_codes = ListField(
        required=False,
        label="Only industries (ISIC classes)",
        help_text="Comma-separated four-digit classes, e.g. 8422, 4651. Empty for every industry.",
    )

    class Meta:
        model = Playbook
        fields = ["name", "purpose", "cells", "tiers", "size_bands", "isic_codes", "cooldown_days"]
        fields += ["is_active"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, cell_names: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cells"].choices = [(key, cell_names.get(key, key)) for key in CELL_KEYS]  # type: ignore[attr-defined]
        tiers = list(dict.fromkeys(Tier.objects.order_by("lower").values_list("name", flat=True)))
        kept = [t for t in (self.instance.tiers or []) if t not in tiers]  # a renamed tier
        self.fields["tiers"].choices = [(t, t) for t in tiers + kept]  # type: ignore[attr-defined]

    def clean_isic_codes(self):
        codes = self.cleaned_data["isic_codes"]
        bad = []
        for code in codes:
            try:
                isic_code_validator(code)
            except forms.ValidationError:
                bad.append(code)
        if bad:
            raise forms.ValidationError(
                f"Not ISIC classes: {', '.join(bad)}. A class is four digits, e.g. 4651."
            )
        return list(dict.fromkeys(codes))


class StepForm(RowLabels, forms.Form):
    title = forms.CharField(max_length=200)
    guidance = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    due_offset_days = forms.IntegerField(min_value=0, max_value=365, initial=7, label="Due after")
    owner_role = forms.ChoiceField(choices=OwnerRole.choices, initial=OwnerRole.CSM, label="Owner")


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not kept:
            raise forms.ValidationError("A playbook needs at least one step.")

    def steps(self) -> list[dict]:
        kept = [f for f in self.ordered_forms if f.cleaned_data] if self.can_order else self.forms
        return [
            {k: v for k, v in f.cleaned_data.items() if k not in ("ORDER", "DELETE")}
            for f in kept
            if f.cleaned_data and not self._should_delete_form(f)  # type: ignore[attr-defined]
        ]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=2, can_delete=True, can_order=True
)


class TaskCloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(PlaybookTask.Status.DONE, "Done"), (PlaybookTask.Status.SKIPPED, "Skip")]
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self):
        data = super().clean()
        if data.get("status") == PlaybookTask.Status.SKIPPED and not data.get("note", "").strip():
            self.add_error("note", "Say why the task is skipped.")
        return data


class RunStartForm(forms.Form):
    playbook: "forms.ModelChoiceField[Playbook]" = forms.ModelChoiceField(
        queryset=Playbook.objects.none(),
        empty_label=None,
        widget=forms.Select(attrs={"aria-label": "Playbook to start"}),
    )

    def __init__(self, *args, playbooks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].queryset = playbooks


class OutcomesForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Runs from")
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="to")
    window_days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Within (days)")

    @classmethod
    def initial_values(cls) -> dict:
        today = timezone.localdate()
        return {"start": today - timedelta(days=180), "end": today, "window_days": 30}

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The period ends before it starts.")
        return data


class TaskBulkForm(forms.Form):
    ACTIONS = [("done", "Mark done"), ("skipped", "Skip"), ("reassign", "Reassign to")]

    action = forms.ChoiceField(choices=ACTIONS, label="With the selected")
    ids = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": "Tick at least one task."}
    )
    note = forms.CharField(
        required=False, max_length=2000, label="Note for all", help_text="Needed to skip."
    )
    assignee: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=None, required=False, label="Member", empty_label="Managers (unassigned)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        workers = Membership.objects.exclude(role=Role.VIEWER).values_list("user_id", flat=True)
        self.fields["assignee"].queryset = get_user_model().objects.filter(pk__in=workers)
        self.fields["ids"].valid_value = lambda value: True  # type: ignore[method-assign]
