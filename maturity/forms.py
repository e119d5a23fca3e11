from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import ImportForm
from core.forms import RowLabels, key_field

from .models import Factor, Framework, SurveyLink
from .scoring import SCALE
from .services import TEMPLATES, template_load

UNKNOWN = "unknown"
SCORE_CHOICES = [(str(n), str(n)) for n in range(SCALE[0], SCALE[1] + 1)] + [(UNKNOWN, "Unknown")]


def score_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose 1 to 5, or Unknown."},
    )


class ScoresForm(forms.Form):
    """One 1-5/unknown choice per question; `questions` is [(key, label)]."""

    def __init__(self, *args, questions, with_comments=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for key, label in questions:
            self.fields[f"score_{key}"] = score_field(label)
            if with_comments:
                self.fields[f"comment_{key}"] = forms.CharField(
                    label="Comment or evidence",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )

    def answers(self) -> dict[str, int | None]:
        """The questions answered: a score, or None for Unknown. One left blank is not
        answered yet, which is not the same as "don't know", and is left out."""
        chosen = {key: self.cleaned_data[f"score_{key}"] for key, _ in self.questions}
        return {
            key: None if value == UNKNOWN else int(value)
            for key, value in chosen.items()
            if value != ""
        }

    def comments(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"comment_{key}", "") for key, _ in self.questions}


def assessment_form(data, *, factors: list[Factor], initial=None) -> ScoresForm:
    return ScoresForm(
        data, questions=[(f.key, f.name) for f in factors], with_comments=True, initial=initial
    )


class RespondentForm(forms.Form):
    name = forms.CharField(max_length=120, label="Your name")
    email = forms.EmailField(required=False, label="Email (optional)")
    role = forms.CharField(max_length=120, required=False, label="Your role")


class FrameworkCreateForm(forms.Form):
    template = forms.ChoiceField(
        choices=[(key, template_load(key)["name"]) for key in TEMPLATES], label="Start from"
    )
    name = forms.CharField(
        max_length=120, required=False, help_text="Leave empty for the template's name."
    )


class SurveyLinkForm(forms.Form):
    framework: "forms.ModelChoiceField[Framework]" = forms.ModelChoiceField(
        queryset=Framework.objects.none()
    )
    mode = forms.ChoiceField(choices=SurveyLink.Mode.choices, initial=SurveyLink.Mode.SIMPLIFIED)
    valid_days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Valid for (days)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        frameworks = Framework.objects.filter(kind=Framework.Kind.INDEX)
        self.fields["framework"].queryset = frameworks
        self.fields["framework"].empty_label = None
        self.fields["framework"].initial = frameworks.filter(is_primary=True).first()


class SurveyLinkEmailForm(forms.Form):
    email = forms.EmailField(label="Email it to", max_length=254)


class PillarForm(RowLabels, forms.Form):
    key = key_field()
    name = forms.CharField(max_length=120)
    weight = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    survey_question = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FactorForm(RowLabels, forms.Form):
    key = key_field()
    pillar = key_field()
    name = forms.CharField(max_length=120)
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    low = forms.CharField(label="1 (Low) means", widget=forms.Textarea(attrs={"rows": 2}))
    level_2 = forms.CharField(
        required=False, label="2 means", widget=forms.Textarea(attrs={"rows": 1})
    )
    level_3 = forms.CharField(
        required=False, label="3 means", widget=forms.Textarea(attrs={"rows": 1})
    )
    level_4 = forms.CharField(
        required=False, label="4 means", widget=forms.Textarea(attrs={"rows": 1})
    )
    high = forms.CharField(label="5 (High) means", widget=forms.Textarea(attrs={"rows": 2}))
    direction = forms.ChoiceField(choices=Factor.Direction.choices)


class TierForm(RowLabels, forms.Form):
    name = forms.CharField(max_length=60)
    lower = forms.DecimalField(max_digits=4, decimal_places=2, label="From index")
    # An initial colour keeps the blank extra row unchanged, so it is not validated as a tier.
    colour = forms.CharField(
        max_length=7, initial="#8892a6", widget=forms.TextInput(attrs={"type": "color"})
    )


PillarFormSet = forms.formset_factory(PillarForm, extra=0)
FactorFormSet = forms.formset_factory(FactorForm, extra=0)
TierFormSet = forms.formset_factory(TierForm, extra=1, can_delete=True)


def spec_from_formsets(pillars, factors, tiers) -> dict:
    by_pillar: dict[str, list] = {p["key"]: [] for p in pillars.cleaned_data}
    for factor in factors.cleaned_data:
        if factor["pillar"] not in by_pillar:
            raise ValidationError(
                {
                    "factors": [
                        f"Factor “{factor['name']}” is in pillar “{factor['pillar']}”, "
                        "which this framework does not have."
                    ]
                }
            )
        by_pillar[factor["pillar"]].append({k: v for k, v in factor.items() if k != "pillar"})
    return {
        "pillars": [{**p, "factors": by_pillar[p["key"]]} for p in pillars.cleaned_data],
        # Kept in the order given: thresholds out of order are an error, not silently sorted.
        "tiers": [
            {k: v for k, v in t.items() if k != "DELETE"}
            for t in tiers.cleaned_data
            if t and not t.get("DELETE")
        ],
    }


class AssessmentImportForm(ImportForm):
    file = forms.FileField(
        allow_empty_file=True,
        help_text="Columns: external_id; optionally framework and submitted_at; then the "
        "factor keys.",
    )
