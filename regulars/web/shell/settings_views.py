"""Settings (owner only): organisation profile, staff and roles, API tokens."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regulars.orgs.actions import (
    StaffChangeRefused,
    add_staff_user,
    change_staff_role,
    create_api_token,
    remove_staff_member,
    revoke_api_token,
)
from regulars.orgs.models import ApiToken, Membership, Role
from regulars.web.access import get_object_for_org, staff_view

from .forms import AddStaffForm, ApiTokenForm, OrganisationForm, RoleForm


@staff_view("owner")
def organisation_profile(request):
    form = OrganisationForm(
        request.POST or None, request.FILES or None, instance=request.organisation
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The organisation profile is saved."))
        return redirect("web:settings")
    return render(request, "web/settings/organisation.html", {"form": form, "tab": "profile"})


@staff_view("owner")
def staff(request):
    form = AddStaffForm(request.POST if "add" in request.POST else None)
    if request.method == "POST" and "membership" in request.POST:
        return _change_role(request)
    if request.method == "POST" and "remove" in request.POST:
        return _remove(request)
    if request.method == "POST" and form.is_valid():
        add_staff_user(
            organisation=request.organisation,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            password=form.cleaned_data["password"],
            email=form.cleaned_data["email"],
        )
        messages.success(
            request, _("%(name)s can now log in.") % {"name": form.cleaned_data["username"]}
        )
        return redirect("web:settings_staff")
    memberships = (
        Membership.objects.filter(organisation=request.organisation)
        .select_related("user")
        .order_by("user__username")
    )
    return render(
        request,
        "web/settings/staff.html",
        {"form": form, "memberships": memberships, "roles": Role.choices, "tab": "staff"},
    )


REFUSALS = {
    "yourself": gettext_lazy(
        "You cannot change your own role or remove yourself; ask another owner."
    ),
    "last_owner": gettext_lazy("An organisation needs at least one owner."),
}


def _change_role(request):
    membership = get_object_for_org(request, Membership, pk=request.POST.get("membership"))
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("web:settings_staff")
    try:
        change_staff_role(
            membership=membership, role=form.cleaned_data["role"], changed_by=request.user
        )
    except StaffChangeRefused as refusal:
        messages.error(request, REFUSALS[refusal.reason])
        return redirect("web:settings_staff")
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {
            "name": membership.user.username,
            "role": membership.get_role_display(),
        },
    )
    return redirect("web:settings_staff")


def _remove(request):
    membership = get_object_for_org(request, Membership, pk=request.POST.get("remove"))
    try:
        remove_staff_member(membership=membership, removed_by=request.user)
    except StaffChangeRefused as refusal:
        messages.error(request, REFUSALS[refusal.reason])
        return redirect("web:settings_staff")
    messages.success(
        request,
        _("%(name)s no longer has access to %(organisation)s.")
        % {"name": membership.user.username, "organisation": request.organisation.name},
    )
    return redirect("web:settings_staff")


@staff_view("owner")
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = create_api_token(
            organisation=request.organisation,
            name=form.cleaned_data["name"],
            created_by=request.user,
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(organisation=request.organisation).order_by(
        "revoked_at", "-created_at"
    )
    return render(
        request,
        "web/settings/tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key, "tab": "tokens"},
    )


@staff_view("owner")
@require_POST
def revoke_token(request, token_id: int):
    token = get_object_for_org(request, ApiToken, pk=token_id)
    revoke_api_token(token=token)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": token.name})
    return redirect("web:settings_tokens")
