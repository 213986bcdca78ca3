"""Login, logout, password reset, language and organisation switches, the home page."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from regulars.orgs.models import Membership, StaffProfile
from regulars.web.access import return_url, row_id, staff_view

from . import ratelimit
from .middleware import SUPPORTED_LANGUAGES


@staff_view("view")
def home(request):
    return redirect("web:customers")


class StaffLoginView(auth_views.LoginView):
    """Django's login, refusing a username+address after too many failures (429)."""

    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if ratelimit.is_locked(username, ratelimit.client_address(request)):
            form = self.form_class(request=request, initial={"username": username})
            context = self.get_context_data(form=form, locked_out=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        ratelimit.record_failure(username, ratelimit.client_address(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        username = form.get_user().get_username()
        ratelimit.clear_failures(username, ratelimit.client_address(self.request))
        return super().form_valid(form)


class StaffPasswordResetView(auth_views.PasswordResetView):
    template_name = "web/auth/password_reset_form.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/auth/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


@require_POST
def set_language(request) -> HttpResponse:
    """Switch the interface language; remembered on the staff profile and in a cookie."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(return_url(request, "next", reverse("web:home")))
    if language not in SUPPORTED_LANGUAGES:
        return response
    if request.user.is_authenticated:
        StaffProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 86400,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@login_required
@require_POST
def switch_organisation(request) -> HttpResponse:
    """Make another of the user's organisations the current one."""
    membership = (
        Membership.objects.filter(
            user=request.user, organisation_id=row_id(request.POST.get("organisation"))
        )
        .select_related("organisation")
        .first()
    )
    if membership is None:
        return render(request, "403.html", status=403)
    StaffProfile.objects.update_or_create(
        user=request.user, defaults={"current_organisation": membership.organisation}
    )
    # The page we came from may show the old organisation's rows: start at home.
    return redirect("web:home")
