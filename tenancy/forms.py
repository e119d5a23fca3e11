from django import forms

from .models import Membership, Role


class MemberAddForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if Membership.objects.filter(user__email=email).exists():
            raise forms.ValidationError("This person is already a member.")
        return email


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="Say what uses it, e.g. “Salesforce sync”.")
