from django import forms
from django.contrib.auth import get_user_model

from tenancy.models import Membership, Role

from .importing import FileError, read_accounts_csv
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
    file = forms.FileField(
        allow_empty_file=True,
        help_text="A CSV with a header row; external_id and name are required.",
    )
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    reader = staticmethod(read_accounts_csv)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        raw = upload.read()
        try:
            self.reader(raw)
        except FileError as error:
            raise forms.ValidationError(str(error)) from error
        self.content = raw.decode("utf-8-sig")
        return upload


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
