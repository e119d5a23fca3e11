from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from tenancy.models import Membership, Role

from .importing import FileError, header_of
from .models import Account, ImportJob


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "external_id",
            "industry",
            "isic_code",
            "size_band",
            "region",
            "lifecycle_stage",
            "arr",
            "renewal_date",
            "owner_csm",
        ]
        widgets = {"renewal_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        owners = Membership.objects.exclude(role=Role.VIEWER).values_list("user_id", flat=True)
        self.fields["owner_csm"].queryset = get_user_model().objects.filter(pk__in=owners)
        self.fields["external_id"].empty_value = None

    def clean_external_id(self):
        external_id = self.cleaned_data["external_id"]
        others = Account.objects.filter(external_id=external_id).exclude(pk=self.instance.pk)
        if external_id and others.exists():
            raise forms.ValidationError("Another account already has this CRM id.")
        return external_id


class ImportForm(forms.Form):
    """An upload: any readable CSV here; its import's reader, or the mapping step, says the
    rest (accounts.mapping.import_upload_accept)."""

    file = forms.FileField(
        allow_empty_file=True,
        help_text="A CSV with a header row; external_id and name are required.",
    )
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    reader = staticmethod(header_of)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        raw = upload.read()
        try:
            self.reader(raw)
        except FileError as error:
            raise forms.ValidationError(str(error)) from error
        self.content = raw.decode("utf-8-sig")
        return upload


class MappingForm(forms.Form):
    """The import's fields, each matched to one of the file's columns (or none)."""

    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        label="If some rows are bad",
    )
    save_as = forms.CharField(
        max_length=80,
        required=False,
        label="Save this mapping as (optional)",
        help_text="A name the team will find under “Start from a preset” next time.",
    )

    def __init__(self, *args, columns, guess, fields, **kwargs):
        """`fields`: accounts.mapping.Field of the import, in order."""
        super().__init__(*args, **kwargs)
        self.mapped = [each.key for each in fields]
        choices = [("", "— not imported —"), *((c, c) for c in columns)]
        for each in fields:
            self.fields[each.key] = forms.ChoiceField(
                choices=choices,
                required=each.required,
                initial=guess.get(each.key, ""),
                label=each.label,
                error_messages={"required": "Choose the column that holds it."},
            )
        self.order_fields([*self.mapped, "mode", "save_as"])

    def mapping(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in self.mapped if self.cleaned_data[key]}

    def clean(self):
        data = super().clean()
        used = [data[key] for key in self.mapped if data.get(key)]
        repeated = {column for column in used if used.count(column) > 1}
        if repeated:
            raise forms.ValidationError(
                f"One column feeds two fields: {', '.join(sorted(repeated))}."
            )
        return data


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "note-help"}),
        error_messages={"required": "Write the note first."},
    )


class SavedViewForm(forms.Form):
    name = forms.CharField(label="Save this view as", max_length=80)
    shared = forms.BooleanField(label="Share with the organization", required=False)
    query = forms.CharField(widget=forms.HiddenInput, max_length=2000, required=False)


class BulkForm(forms.Form):
    """What the account list does to the accounts ticked, or to all that match its filter."""

    ACTIONS = [("reassign", "Reassign to"), ("export", "Export CSV")]

    action = forms.ChoiceField(choices=ACTIONS, label="With the selected")
    option = forms.ChoiceField(choices=[], required=False)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    all = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000)
    csm: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=None, required=False, label="CSM", empty_label="No one"
    )

    def __init__(self, *args, actions=None, **kwargs):
        """`actions`: the accounts.bulk.BulkAction the member may do besides, by key."""
        super().__init__(*args, **kwargs)
        self.actions = actions or {}
        self.fields["action"].choices = [
            *self.ACTIONS,
            *((key, action.label) for key, action in self.actions.items()),
        ]
        # Each action's options under its own heading (the playbooks, today).
        self.fields["option"].label = " or ".join(a.option_label for a in self.actions.values())
        self.fields["option"].choices = [
            ("", "—"),
            *((action.label, action.options) for action in self.actions.values()),
        ]
        owners = Membership.objects.exclude(role=Role.VIEWER).values_list("user_id", flat=True)
        self.fields["csm"].queryset = get_user_model().objects.filter(pk__in=owners)
        # Any id is a valid choice here; the view reads them within the tenant.
        self.fields["ids"].valid_value = lambda value: True  # type: ignore[method-assign]

    def clean(self):
        data = super().clean()
        if not data.get("all") and not data.get("ids"):
            raise forms.ValidationError("Tick at least one account, or all that match.")
        action = self.actions.get(data.get("action", ""))
        if action and data.get("option") not in dict(action.options):
            self.add_error("option", f"Choose the {action.option_label.lower()} to use.")
        return data
