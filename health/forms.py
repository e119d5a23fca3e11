import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms import ImportForm
from core.forms import RowLabels, finite_json, key_field

from .importing import read_metrics_csv
from .models import Measure
from .services import TEMPLATES, template_load


class ManualValueForm(forms.Form):
    measure: "forms.ModelChoiceField[Measure]" = forms.ModelChoiceField(
        queryset=Measure.objects.none(), empty_label=None
    )
    value = forms.CharField(max_length=120, help_text="A number, or one of the categories.")
    observed_on = forms.DateField(
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Observed on",
    )

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = measures


class OverrideForm(forms.Form):
    score = forms.FloatField(min_value=0, max_value=100)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Until")


class MetricImportForm(ImportForm):
    file = forms.FileField(
        allow_empty_file=True, help_text="Columns: external_id, metric, value, observed_at."
    )
    reader = staticmethod(read_metrics_csv)


class ScorecardCreateForm(forms.Form):
    template = forms.ChoiceField(
        choices=[(key, template_load(key)["name"]) for key in TEMPLATES], label="Start from"
    )


class GroupForm(RowLabels, forms.Form):
    key = key_field()
    name = forms.CharField(max_length=120)
    weight = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "class": "code"})

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value)

    def to_python(self, value):
        try:
            return finite_json(value)
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from error


class MeasureForm(RowLabels, forms.Form):
    key = key_field()
    group = key_field()
    name = forms.CharField(max_length=120)
    metric = forms.SlugField(max_length=60)
    weight = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, label="Weight in group (%)"
    )
    rule = forms.ChoiceField(choices=Measure.Rule.choices)
    params = JSONField(label="Rule parameters (JSON)")
    stale_after_days = forms.IntegerField(min_value=1, required=False, label="Stale after (days)")
    manual = forms.BooleanField(required=False, label="Entered by hand")


class LevelForm(RowLabels, forms.Form):
    name = forms.CharField(max_length=40)
    lower = forms.DecimalField(max_digits=5, decimal_places=2, label="From score")
    colour = forms.CharField(
        max_length=7, initial="#8892a6", widget=forms.TextInput(attrs={"type": "color"})
    )


GroupFormSet = forms.formset_factory(GroupForm, extra=0)
MeasureFormSet = forms.formset_factory(MeasureForm, extra=0)
LevelFormSet = forms.formset_factory(LevelForm, extra=1, can_delete=True)


def spec_from_formsets(groups, measures, levels) -> dict:
    by_group: dict[str, list] = {g["key"]: [] for g in groups.cleaned_data}
    for measure in measures.cleaned_data:
        if measure["group"] not in by_group:
            raise ValidationError(
                {
                    "measures": [
                        f"Measure “{measure['name']}” is in group “{measure['group']}”, "
                        "which this scorecard does not have."
                    ]
                }
            )
        by_group[measure["group"]].append(
            {k: (float(v) if k == "weight" else v) for k, v in measure.items() if k != "group"}
        )
    return {
        "groups": [
            {**g, "weight": float(g["weight"]), "measures": by_group[g["key"]]}
            for g in groups.cleaned_data
        ],
        "levels": [
            {"name": lv["name"], "lower": float(lv["lower"]), "colour": lv["colour"]}
            for lv in levels.cleaned_data
            if lv and not lv.get("DELETE")
        ],
    }
