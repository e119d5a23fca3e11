from decimal import Decimal

from django import forms

from accounts.forms import ImportForm
from health.scoring import card_errors
from maturity.scoring import weights_error

from .models import Outcome


class OutcomeForm(forms.Form):
    """The browser's shape of one outcome; outcomes.validation checks it, as for the API."""

    kind = forms.ChoiceField(choices=Outcome.Kind.choices, label="What happened")
    occurred_on = forms.CharField(
        label="On", widget=forms.DateInput(attrs={"type": "date"}), help_text="Not in the future."
    )
    arr_before = forms.CharField(
        label="ARR before", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    arr_after = forms.CharField(
        label="ARR after",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="0 for a churn.",
    )
    reason = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def item(self, account_id: int) -> dict:
        data = self.data
        return {
            "account": account_id,
            **{name: data.get(name, "").strip() for name in self.fields},
        }


class OutcomeImportForm(ImportForm):
    file = forms.FileField(
        allow_empty_file=True,
        help_text="Columns: external_id, kind, occurred_on, arr_before, arr_after, reason.",
    )


class WeightsForm(forms.Form):
    """Candidate pillar weights: a calibrated proposal, or a manager's own edit of it. The
    total is checked by maturity.scoring.weights_error, as in the framework editor."""

    def __init__(self, *args, pillars: list[tuple[str, str, float]], **kwargs):
        super().__init__(*args, **kwargs)
        for key, name, weight in pillars:
            self.fields[key] = forms.DecimalField(
                label=f"{name} (%)",
                min_value=Decimal("0.01"),
                max_value=Decimal(100),
                decimal_places=2,
                initial=Decimal(str(weight)).quantize(Decimal("0.1")),
                widget=forms.NumberInput(attrs={"step": "0.1", "class": "weight"}),
            )

    def clean(self):
        cleaned = super().clean()
        weights = [cleaned[key] for key in self.fields if cleaned.get(key) is not None]
        if len(weights) == len(self.fields) and (message := weights_error(weights)):
            raise forms.ValidationError(message, code="weights_total")
        return cleaned

    def weights(self) -> dict[str, Decimal]:
        return {key: self.cleaned_data[key] for key in self.fields}


def _weight(label: str, weight: float) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(str(weight)).quantize(Decimal("0.1")),
        widget=forms.NumberInput(attrs={"step": "0.1", "class": "weight"}),
    )


class ScorecardWeightsForm(forms.Form):
    """Candidate group and in-group weights for a scorecard (`spec`, as
    health.selectors.scorecard_spec gives it): a calibrated proposal, or a manager's edit of
    it. Totals are checked by health.scoring.card_errors, as in the scorecard editor."""

    def __init__(self, *args, spec: dict, start: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.base = spec
        for group in spec["groups"]:
            key = group["key"]
            self.fields[f"group-{key}"] = _weight(
                f"{group['name']} (% of the CHS)", start["groups"].get(key, group["weight"])
            )
            for measure in group["measures"]:
                self.fields[f"measure-{measure['key']}"] = _weight(
                    f"{measure['name']} (% of {group['name']})",
                    start["measures"].get(measure["key"], measure["weight"]),
                )

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(name) is not None for name in self.fields):
            for message in card_errors(self.spec()).values():
                self.add_error(None, message)
        return cleaned

    def spec(self) -> dict:
        """The scorecard with these weights (as typed once checked; as offered before), every
        other part as it is."""
        weights = (
            self.cleaned_data
            if self.is_bound
            else {name: field.initial for name, field in self.fields.items()}
        )
        return {
            **self.base,
            "groups": [
                {
                    **group,
                    "weight": float(weights[f"group-{group['key']}"]),
                    "measures": [
                        {**m, "weight": float(weights[f"measure-{m['key']}"])}
                        for m in group["measures"]
                    ],
                }
                for group in self.base["groups"]
            ],
        }
