import re
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.text import slugify

from accounts.forms import ImportForm
from core.forms import RowLabels, hidden_field_problems

from . import scoring
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


class ScorecardCreateForm(forms.Form):
    template = forms.ChoiceField(
        choices=[(key, template_load(key)["name"]) for key in TEMPLATES], label="Start from"
    )


MAX_ROWS = 50  # bands or categories of one measure


def removed(form: forms.Form) -> bool:
    """The row's Remove box is ticked."""
    return bool(getattr(form, "cleaned_data", {}).get("DELETE"))


class OrderedFormSet(forms.BaseFormSet):
    """Rows that can be removed and reordered. The order is a hidden field that the page's
    script renumbers after each move; without the script, rows keep their order."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].widget = forms.HiddenInput()
        form.fields["DELETE"].label = "Remove"

    def live_forms(self) -> list[forms.Form]:
        """The forms not marked for removal, in the order the page put them."""
        live = [f for f in self.forms if not removed(f)]
        order = {f: i for i, f in enumerate(self.forms)}

        def position(form):
            value = form.cleaned_data.get("ORDER") if hasattr(form, "cleaned_data") else None
            return (order[form] if value is None else value, order[form])

        return sorted(live, key=position)


class GroupForm(forms.Form):
    key = forms.SlugField(max_length=60, widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120, label="Group")
    weight = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, label="Weight (%)"
    )


def _number(label: str, **kwargs) -> forms.FloatField:
    return forms.FloatField(required=False, label=label, **kwargs)


# The fields each rule reads; the others are hidden on the page and not checked.
RULE_FIELDS = {
    "linear": ("linear_from", "linear_to"),
    "recency": ("full_days", "zero_days"),
    "bands": (),  # and its rows
    "categorical": (),
}


class MeasureForm(forms.Form):
    """A measure as a card: its rule's parameters as widgets, one row per band or category,
    never as JSON. Every problem is reported beside its field (`scoring.rule_errors` says
    where)."""

    key = forms.SlugField(max_length=60, widget=forms.HiddenInput, required=False)
    group = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    name = forms.CharField(max_length=120)
    metric = forms.SlugField(
        max_length=60, help_text="The key integrations send values under, e.g. nps."
    )
    weight = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, label="Weight in group (%)"
    )
    rule = forms.ChoiceField(choices=Measure.Rule.choices, initial="linear")
    linear_from = _number("0 points at")
    linear_to = _number("100 points at")
    full_days = _number("Full points up to (days)")
    zero_days = _number("No points from (days)")
    stale_after_days = forms.IntegerField(min_value=1, required=False, label="Stale after (days)")
    manual = forms.BooleanField(required=False, label="Entered by hand")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        params = self.initial.get("params") or {}
        for name, (rule, key) in {
            "linear_from": ("linear", "from"),
            "linear_to": ("linear", "to"),
            "full_days": ("recency", "full_days"),
            "zero_days": ("recency", "zero_days"),
        }.items():
            if self.initial.get("rule") == rule:
                self.initial.setdefault(name, params.get(key))
        bands = params.get("bands") or [{}]
        categories = list((params.get("map") or {"": None}).items())
        self.band_count = self._rows("band", len(bands))
        self.category_count = self._rows("category", len(categories))
        for i in range(self.band_count):
            band = bands[i] if i < len(bands) and not self.is_bound else {}
            for part, label in (("from", "From"), ("to", "To"), ("points", "Points")):
                self.fields[f"band_{i}_{part}"] = _number(label)
                self.initial.setdefault(f"band_{i}_{part}", band.get(part))
        for i in range(self.category_count):
            value, points = (
                categories[i] if i < len(categories) and not self.is_bound else ("", None)
            )
            self.fields[f"category_{i}_value"] = forms.CharField(
                max_length=60, required=False, label="Value"
            )
            self.fields[f"category_{i}_points"] = _number("Points")
            self.initial.setdefault(f"category_{i}_value", value)
            self.initial.setdefault(f"category_{i}_points", points)

    def _rows(self, kind: str, initial: int) -> int:
        """How many rows of a kind the page sent (the script adds rows), at most MAX_ROWS."""
        if not self.is_bound:
            return initial
        prefix = self.add_prefix(f"{kind}_")
        indices = [
            int(match[1])
            for name in self.data
            if name.startswith(prefix)
            and (match := re.fullmatch(r"(\d+)_\w+", name[len(prefix) :]))
        ]
        return min(max(indices, default=0) + 1, MAX_ROWS)

    def _row_fields(self, kind: str, index: int) -> dict[str, forms.BoundField]:
        parts = ("from", "to", "points") if kind == "band" else ("value", "points")
        fields = {part: self[f"{kind}_{index}_{part}"] for part in parts}
        noun = "band" if kind == "band" else "category"
        for field in fields.values():
            field.field.widget.attrs["aria-label"] = f"{field.label}, {noun} {index + 1}"
        return fields

    def band_rows(self) -> list[dict[str, forms.BoundField]]:
        return [self._row_fields("band", i) for i in range(self.band_count)]

    def category_rows(self) -> list[dict[str, forms.BoundField]]:
        return [self._row_fields("category", i) for i in range(self.category_count)]

    def current_rule(self) -> str:
        return str(self["rule"].value() or "linear")

    def clean(self):
        cleaned = super().clean()
        rule = cleaned.get("rule")
        shown = set(RULE_FIELDS.get(rule, ()))
        for name in [n for n in self.fields if n.startswith(("linear_", "full_", "zero_"))]:
            if name not in shown:
                self.errors.pop(name, None)  # a hidden rule's fields are not looked at
        for kind in ("band", "category"):
            if rule != ("bands" if kind == "band" else "categorical"):
                for name in [n for n in self.errors if n.startswith(f"{kind}_")]:
                    self.errors.pop(name)
        if rule is None:
            return cleaned
        params, places = getattr(self, f"_{rule}")(cleaned)
        if params is not None:
            for place, message in scoring.rule_errors(rule, params):
                self.add_error(places.get(place), message)
        cleaned["params"] = params
        return cleaned

    def _required(self, cleaned, *names) -> bool:
        missing = [n for n in names if cleaned.get(n) is None and n not in self.errors]
        for name in missing:
            self.add_error(name, "Required for this rule.")
        return not missing and not any(n in self.errors for n in names)

    def _linear(self, cleaned):
        if not self._required(cleaned, "linear_from", "linear_to"):
            return None, {}
        params = {"from": cleaned["linear_from"], "to": cleaned["linear_to"]}
        return params, {("from",): "linear_from", ("to",): "linear_to"}

    def _recency(self, cleaned):
        if not self._required(cleaned, "full_days", "zero_days"):
            return None, {}
        params = {"full_days": cleaned["full_days"], "zero_days": cleaned["zero_days"]}
        return params, {("full_days",): "full_days", ("zero_days",): "zero_days"}

    def _filled(self, kind: str, index: int, parts) -> bool:
        return any(
            str(self.data.get(self.add_prefix(f"{kind}_{index}_{p}"), "")).strip() for p in parts
        )

    def _bands(self, cleaned):
        bands, places, complete = [], {}, True
        for i in range(self.band_count):
            if not self._filled("band", i, ("from", "to", "points")):
                continue  # a blank row is no band
            names = {p: f"band_{i}_{p}" for p in ("from", "to", "points")}
            complete &= self._required(cleaned, names["points"])
            complete &= not any(n in self.errors for n in names.values())
            for part, name in names.items():
                places[("bands", len(bands), part)] = name
            bands.append({p: cleaned.get(n) for p, n in names.items()})
        return ({"bands": bands} if complete else None), places

    def _categorical(self, cleaned):
        mapping, places, complete, seen = {}, {}, True, set()
        for i in range(self.category_count):
            if not self._filled("category", i, ("value", "points")):
                continue
            value_name, points_name = f"category_{i}_value", f"category_{i}_points"
            value = (cleaned.get(value_name) or "").strip()
            if not value:
                self.add_error(value_name, "Name the category.")
                complete = False
            elif value.lower() in seen:
                self.add_error(value_name, "This category is listed twice.")
                complete = False
            seen.add(value.lower())
            complete &= self._required(cleaned, points_name)
            places[("map", value)] = points_name
            mapping[value] = cleaned.get(points_name)
        return ({"map": mapping} if complete else None), places


class LevelForm(RowLabels, forms.Form):
    name = forms.CharField(max_length=40)
    lower = forms.DecimalField(max_digits=5, decimal_places=2, label="From score")
    colour = forms.CharField(
        max_length=7, initial="#8892a6", widget=forms.TextInput(attrs={"type": "color"})
    )


GroupFormSet = cast(
    type[OrderedFormSet],
    forms.formset_factory(
        GroupForm, formset=OrderedFormSet, extra=0, can_delete=True, can_order=True
    ),
)
MeasureFormSet = cast(
    type[OrderedFormSet],
    forms.formset_factory(
        MeasureForm, formset=OrderedFormSet, extra=0, can_delete=True, can_order=True
    ),
)
LevelFormSet = forms.formset_factory(LevelForm, extra=1, can_delete=True)


def _position(form) -> float:
    """Where a row stands on the page: its ORDER as sent (the script renumbers it)."""
    try:
        return float(form["ORDER"].value())
    except (TypeError, ValueError):
        return float("inf")


def _new_key(name: str, taken: set[str]) -> str:
    """A key for a row the page added: its name as a slug, unique among `taken`."""
    base = (slugify(name).replace("-", "_") or "item")[:55]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


class ScorecardEditor:
    """The scorecard page's three formsets as one spec, with every problem at once: each
    row's own (beside its fields) and the scorecard's as a whole (`scoring.card_errors`:
    weight totals beside the totals, levels beside the levels), even while some rows are
    still wrong."""

    def __init__(self, data, spec: dict):
        self.groups = GroupFormSet(
            data,
            prefix="groups",
            initial=[{k: v for k, v in g.items() if k != "measures"} for g in spec["groups"]],
        )
        self.measures = MeasureFormSet(
            data,
            prefix="measures",
            initial=[
                {**m, "group": index}
                for index, g in enumerate(spec["groups"])
                for m in g["measures"]
            ],
        )
        self.levels = LevelFormSet(data, prefix="levels", initial=spec["levels"])
        self.errors: dict[str, str] = {}  # "groups", "levels", "measures", "group-<i>"
        self.problems: list[str] = []
        self.spec: dict | None = None

    def sections(self) -> list[tuple[int, forms.Form, list[forms.Form], str]]:
        """Each group's form with its measures' forms and its own problem (a weight total), as
        the page draws them."""
        by_group: dict[int, list[forms.Form]] = {}
        for form in sorted(self.measures.forms, key=_position):
            by_group.setdefault(self._group_index(form), []).append(form)
        return [
            (i, form, by_group.get(i, []), self.errors.get(f"group-{i}", ""))
            for i, form in sorted(enumerate(self.groups.forms), key=lambda pair: _position(pair[1]))
        ]

    def _group_index(self, form) -> int:
        value = form["group"].value()
        return int(value) if str(value).isdigit() else -1

    def is_valid(self) -> bool:
        valid = self.groups.is_valid() and self.levels.is_valid()
        valid &= not self.measures.non_form_errors()
        self.problems = hidden_field_problems(self.groups, self.measures, self.levels)
        groups = self.groups.live_forms()
        live_groups = {self.groups.forms.index(f) for f in groups}
        taken = {f.cleaned_data.get("key") for f in self.groups.forms if f.cleaned_data.get("key")}
        keys = {
            self.groups.forms.index(f): f.cleaned_data.get("key")
            or _new_key(f.cleaned_data.get("name") or f["name"].value() or "group", taken)
            for f in groups
        }
        measure_taken = {
            f.cleaned_data.get("key") for f in self.measures.forms if f.cleaned_data.get("key")
        }
        members: dict[int, list[dict]] = {i: [] for i in keys}
        complete = {i: True for i in keys}
        for form in self.measures.live_forms():
            index = self._group_index(form)
            if index not in live_groups:
                if index in range(len(self.groups.forms)):
                    continue  # its group is being removed, and the measure with it
                name = form["name"].value() or "new measure"
                self.problems.append(
                    f"Measure “{name}” is in group {index + 1}, which this scorecard does not have."
                )
                valid = False
                continue
            data = form.cleaned_data if form.is_valid() else {}
            if not data:
                # Still counted in its group's weight total, if its weight reads; its own
                # problems are beside its fields.
                valid = False
                weight = form.cleaned_data.get("weight")
                complete[index] &= weight is not None
                stand_in = f"\x00{id(form)}"  # a key no form can send
                members[index].append(
                    {
                        "key": stand_in,
                        "name": "",
                        "weight": float(weight or 0),
                        "rule": "",
                        "params": {},
                    }
                )
                continue
            members[index].append(
                {
                    "key": data["key"] or _new_key(data["name"], measure_taken),
                    "name": data["name"],
                    "metric": data["metric"],
                    "weight": float(data["weight"]),
                    "rule": data["rule"],
                    "params": data["params"],
                    "stale_after_days": data["stale_after_days"],
                    "manual": data["manual"],
                }
            )
        spec = {
            "groups": [
                {
                    "key": keys[i],
                    "name": f.cleaned_data.get("name", ""),
                    "weight": float(f.cleaned_data.get("weight") or 0),
                    "measures": members[i],
                }
                for f in groups
                if (i := self.groups.forms.index(f)) in keys
            ],
            "levels": [
                {"name": lv["name"], "lower": float(lv["lower"]), "colour": lv["colour"]}
                for lv in (f.cleaned_data for f in self.levels.forms if f.is_valid())
                if lv and not lv.get("DELETE")
            ],
        }
        if not spec["groups"]:
            self.errors["groups"] = "A scorecard needs at least one group."
            return False
        by_key = {keys[i]: i for i in keys}
        for place, message in scoring.card_errors(spec).items():
            if place == "groups" and all(f.is_valid() for f in groups):
                self.errors["groups"] = message
            elif place == "levels" and self.levels.is_valid():
                self.errors["levels"] = message
            elif place in by_key and complete[by_key[place]]:
                self.errors[f"group-{by_key[place]}"] = message
            elif place == "measures":
                self.problems.append(message)
        self.spec = spec
        return valid and not self.errors and not self.problems

    def count(self) -> int:
        """How many problems the page shows."""
        if not self.groups.is_bound:
            return 0
        fields = sum(
            len(messages)
            for fs in (self.groups, self.measures, self.levels)
            for f in fs.forms
            if fs is self.levels or not removed(f)
            for messages in f.errors.values()
        )
        return fields + len(self.errors) + len(self.problems)
