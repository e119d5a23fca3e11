from django import forms

from accounts.forms import ImportForm

from .importing import read_outcomes_csv
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
    reader = staticmethod(read_outcomes_csv)
