from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import LifecycleStage, SizeBand
from accounts.selectors import account_values_in_use
from maturity.models import Framework
from tenancy.models import Membership

from .cells import drawn
from .models import Grid, GridCell

PERIODS = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "a year")]
DEFAULT_PERIOD = 90


def _distinct(field):
    return [("", "All"), *((v, v) for v in account_values_in_use(field))]


EVERY_STAGE = "all"


class DashboardFilterForm(forms.Form):
    owner_csm: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=None, required=False, label="CSM", empty_label="All"
    )
    industry = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    size_band = forms.ChoiceField(choices=[("", "All"), *SizeBand.choices], required=False)
    lifecycle_stage = forms.ChoiceField(
        choices=[
            ("", "Active (not churned)"),
            (EVERY_STAGE, "All, churned too"),
            *LifecycleStage.choices,
        ],
        required=False,
        label="Stage",
        help_text="Churned accounts are left out unless asked for.",
    )
    framework: "forms.ModelChoiceField[Framework]" = forms.ModelChoiceField(
        queryset=None, required=False, label="Assessed on framework", empty_label="Any"
    )
    period = forms.TypedChoiceField(
        choices=PERIODS, coerce=int, initial=DEFAULT_PERIOD, required=False, label="Flows over"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.values_list("user_id", flat=True)
        self.fields["owner_csm"].queryset = get_user_model().objects.filter(pk__in=members)
        self.fields["industry"].choices = _distinct("industry")
        self.fields["region"].choices = _distinct("region")
        self.fields["framework"].queryset = Framework.objects.all()

    def apply(self, accounts, *, churned: bool = False):
        """The accounts the filters choose; unbound or invalid, the active ones (no churned),
        or with `churned`, every stage by default: what a retention rate must count."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        stage = data.get("lifecycle_stage")
        if not stage and not churned:
            accounts = accounts.exclude(lifecycle_stage=LifecycleStage.CHURNED)
        elif stage and stage != EVERY_STAGE:
            accounts = accounts.filter(lifecycle_stage=stage)
        for name in ("owner_csm", "industry", "region", "size_band"):
            if data.get(name):
                accounts = accounts.filter(**{name: data[name]})
        if data.get("framework"):
            accounts = accounts.filter(
                assessments__version__framework=data["framework"],
                assessments__status="submitted",
            ).distinct()
        return accounts


class GridViewForm(forms.Form):
    view = forms.ChoiceField(choices=Grid.View.choices)


class CellForm(forms.ModelForm):
    """One cell, drawn where it sits on the grid, its fields labelled inside the cell's own
    fieldset (whose legend says where it sits)."""

    class Meta:
        model = GridCell
        fields = ["name", "action", "colour"]
        widgets = {
            "action": forms.Textarea(attrs={"rows": 3}),
            "colour": forms.TextInput(attrs={"type": "color", "data-cell-colour": ""}),
        }


def cell_formset(cells):
    """The grid's cells, to rename and recolour: edited only, never added. A form posted for
    a cell beyond them is a form error ("Please submit at most 9 forms."), not a new row."""
    count = len(cells)
    return forms.modelformset_factory(
        GridCell,
        form=CellForm,
        extra=0,
        edit_only=True,
        max_num=count,
        validate_max=True,
        absolute_max=count,
    )


AXIS = {
    "3x3": (["High", "Medium", "Low"], ["Low", "Medium", "High"]),
    "2x2": (["High", "Low"], ["Low", "High"]),
}


def cells_drawn(formset) -> list[dict]:
    """The formset's forms arranged as each layout's grid is drawn (`cells.drawn`), each with
    where it sits in words: what the page lays out, and the legend of each cell's fieldset."""
    by_place = {(form.instance.layout, form.instance.key): form for form in formset.forms}
    layouts = []
    for layout, label in Grid.View.choices:
        health, maturity = AXIS[layout]
        rows = [
            {
                "health": health[r],
                "cells": [
                    {
                        "form": by_place.get((layout, key)),
                        "place": f"{health[r]} health, {maturity[c].lower()} maturity",
                    }
                    for c, key in enumerate(row)
                ],
            }
            for r, row in enumerate(drawn(layout))
        ]
        layouts.append({"layout": layout, "label": label, "rows": rows, "maturity": maturity})
    return layouts
