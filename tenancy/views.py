from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    ApiKeyForm,
    DefaultRoleForm,
    GroupRoleForm,
    MemberAddForm,
    MemberRoleForm,
    SsoForm,
)
from .middleware import SESSION_KEY
from .models import GroupRole, KeyScope, Membership, OrganizationAPIKey, Role
from .permissions import is_owner, member_required


@login_required
@require_POST
def organization_switch(request):
    wanted = request.POST.get("organization")
    if not any(str(m.organization_id) == wanted for m in request.memberships):
        raise Http404("No such organization.")
    request.session[SESSION_KEY] = wanted
    return redirect("home")


@member_required(is_owner)
def member_list(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.membership_add(
            organization=request.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            request=request,
        )
        messages.success(request, f"{form.cleaned_data['email']} was added.")
        return redirect("tenancy:members")
    members = Membership.objects.select_related("user")
    return render(
        request,
        "tenancy/member_list.html",
        {"form": form, "members": members, "roles": Role.choices},
    )


@member_required(is_owner)
@require_POST
def member_update(request, pk):
    membership = get_object_or_404(Membership, pk=pk)
    try:
        if "remove" in request.POST:
            services.membership_remove(membership=membership)
            messages.success(request, f"{membership.user} was removed.")
        else:
            form = MemberRoleForm(request.POST)
            if form.is_valid():
                services.membership_change_role(
                    membership=membership, role=form.cleaned_data["role"]
                )
                messages.success(request, f"{membership.user} is now {membership.role}.")
    except services.LastOwnerError as error:
        messages.error(request, str(error))
    return redirect("tenancy:members")


@member_required(is_owner)
@require_POST
def member_sign_out(request, pk):
    """End every session of a member, on every device (the owner's own, this one aside)."""
    membership = get_object_or_404(Membership, pk=pk)
    services.member_sessions_end(membership=membership)
    if membership.user_id == request.user.pk:
        request.user.refresh_from_db(fields=["session_generation"])
        update_session_auth_hash(request, request.user)
        messages.success(request, "Your other sessions were signed out.")
    else:
        messages.success(request, f"{membership.user} was signed out everywhere.")
    return redirect("tenancy:members")


@member_required(is_owner)
def api_key_list(request):
    form = ApiKeyForm(request.POST or None)
    plain_key = None
    if request.method == "POST" and form.is_valid():
        _, plain_key = services.api_key_create(
            organization=request.organization,
            name=form.cleaned_data["name"],
            created_by=request.user,
        )
        form = ApiKeyForm()
    keys = (
        OrganizationAPIKey.objects.filter(scope=KeyScope.API)
        .select_related("created_by")
        .order_by("-created")
    )
    return render(
        request, "tenancy/api_key_list.html", {"form": form, "keys": keys, "plain_key": plain_key}
    )


@member_required(is_owner)
def provisioning(request):
    """How people come in: single sign-on (OpenID Connect), SCIM provisioning with its
    bearer tokens, and how the provider's groups map to roles (for both)."""
    settings_ = services.identity_settings()
    token_form = ApiKeyForm(request.POST if "token" in request.POST else None)
    group_form = GroupRoleForm(request.POST if "map" in request.POST else None)
    default_form = DefaultRoleForm(
        request.POST if "default" in request.POST else None,
        initial={"default_role": settings_.default_role},
    )
    sso_form = SsoForm(
        request.POST if "sso" in request.POST else None,
        instance=settings_,
        initial={"sso_required": request.organization.sso_required},
    )
    plain_token = None
    if sso_form.is_bound and sso_form.is_valid():
        sso_form.save()
        request.organization.sso_required = sso_form.cleaned_data["sso_required"]
        request.organization.save(update_fields=["sso_required"])
        messages.success(request, "Single sign-on settings saved.")
        return redirect("tenancy:provisioning")
    if token_form.is_bound and token_form.is_valid():
        _, plain_token = services.api_key_create(
            organization=request.organization,
            name=token_form.cleaned_data["name"],
            created_by=request.user,
            scope=KeyScope.SCIM,
        )
        token_form = ApiKeyForm()
    elif group_form.is_bound and group_form.is_valid():
        services.group_role_set(**group_form.cleaned_data)
        messages.success(request, f"Members of “{group_form.cleaned_data['group']}” map to a role.")
        return redirect("tenancy:provisioning")
    elif "unmap" in request.POST:
        services.group_role_set(group=request.POST["unmap"], role=None)
        return redirect("tenancy:provisioning")
    elif default_form.is_bound and default_form.is_valid():
        settings_.default_role = default_form.cleaned_data["default_role"]
        settings_.save(update_fields=["default_role"])
        messages.success(request, "Saved.")
        return redirect("tenancy:provisioning")
    tokens = (
        OrganizationAPIKey.objects.filter(scope=KeyScope.SCIM)
        .select_related("created_by")
        .order_by("-created")
    )
    return render(
        request,
        "tenancy/provisioning.html",
        {
            "token_form": token_form,
            "sso_form": sso_form,
            "sso_start": request.build_absolute_uri(f"/sso/{request.organization.slug}/"),
            "sso_callback": request.build_absolute_uri("/sso/callback/"),
            "group_form": group_form,
            "default_form": default_form,
            "tokens": tokens,
            "plain_token": plain_token,
            "mappings": GroupRole.objects.all(),
            "endpoint": request.build_absolute_uri("/scim/v2/"),
        },
    )


@member_required(is_owner)
@require_POST
def api_key_revoke(request, prefix):
    api_key = get_object_or_404(OrganizationAPIKey, prefix=prefix)
    services.api_key_revoke(api_key=api_key)
    messages.success(request, f"The key “{api_key.name}” was revoked.")
    return redirect(
        "tenancy:provisioning" if api_key.scope == KeyScope.SCIM else "tenancy:api_keys"
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with the link's scheme and host from SITE_URL (merged over the request's)."""

    def form_valid(self, form):
        self.extra_email_context = services.site_link_context()
        return super().form_valid(form)


def signin_email(request, credentials=None) -> str | None:
    """The email a sign-in names, as django-axes counts it: trimmed and lower-cased, so that
    "Alice@…" and "alice@…" share one count."""
    typed = (credentials or {}).get("username") or request.POST.get("username")
    return typed.strip().lower() if typed else None


def signin_paused(request, original_response=None, credentials=None):
    """django-axes' answer to a throttled sign-in (AXES_LOCKOUT_CALLABLE): 429, the login page
    with what was typed, and how long the pause lasts."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request,
        "registration/login.html",
        {"form": form, "paused_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
