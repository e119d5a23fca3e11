from django import forms

from .models import IdentitySettings, Membership, Role


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


class GroupRoleForm(forms.Form):
    group = forms.CharField(
        max_length=200, help_text="The group's name as the identity provider sends it."
    )
    role = forms.ChoiceField(choices=Role.choices)


class DefaultRoleForm(forms.Form):
    default_role = forms.ChoiceField(
        choices=Role.choices,
        label="Role of someone in no mapped group",
    )


class SsoForm(forms.ModelForm):
    """An organization's OpenID Connect provider. A blank secret keeps the saved one."""

    oidc_client_secret = forms.CharField(
        label="Client secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the saved secret.",
    )
    sso_required = forms.BooleanField(
        label="Require single sign-on (owners keep their password)", required=False
    )

    class Meta:
        model = IdentitySettings
        fields = ["oidc_issuer", "oidc_client_id", "oidc_client_secret", "allowed_domains"]
        help_texts = {
            "oidc_issuer": "Its discovery document is read from "
            "<issuer>/.well-known/openid-configuration.",
        }

    def clean_oidc_client_secret(self):
        return self.cleaned_data["oidc_client_secret"] or self.instance.oidc_client_secret

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sso_required") and not (
            cleaned.get("oidc_issuer") and cleaned.get("oidc_client_id")
        ):
            self.add_error("sso_required", "Set up the provider before requiring it.")
        if cleaned.get("oidc_issuer") and not cleaned.get("allowed_domains", "").strip():
            self.add_error("allowed_domains", "Name at least one email domain.")
        return cleaned
