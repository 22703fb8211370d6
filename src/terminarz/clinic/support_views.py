"""Support access (Ustawienia → "Dostęp wsparcia"): the admin lets the platform operator's
support see the patients' data for a matter and a few hours, sees every session and ends one
at any time. What the support looked at is in the audit log."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.onboarding import support
from terminarz.onboarding.models import SupportSession
from terminarz.onboarding.services import OnboardingError

from .access import clinic_view, get_for_provider


class GrantForm(forms.Form):
    reason = forms.CharField(label=_("W jakiej sprawie"), max_length=300, help_text=_("Np. numer zgłoszenia."))
    hours = forms.IntegerField(label=_("Na ile godzin"), min_value=1, max_value=support.MAX_HOURS, initial=24)


@require_http_methods(["GET", "POST"])
@clinic_view("staff.change")
def support_access(request):
    now = clock.now()
    form = GrantForm(request.POST if request.POST.get("action") == "grant" else None)
    if request.method == "POST":
        if request.POST.get("action") == "grant" and form.is_valid():
            try:
                support.grant(
                    request.provider,
                    hours=form.cleaned_data["hours"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except OnboardingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("Udzielono dostępu wsparciu Terminarza."))
                return redirect("clinic:support")
        elif request.POST.get("action") == "end":
            session = get_for_provider(SupportSession.objects.all(), request.provider, request.POST.get("session"))
            try:
                support.end(session, actor=request.user)
                messages.success(request, gettext("Dostęp wsparcia zakończony."))
            except OnboardingError as error:
                messages.error(request, error.message)
            return redirect("clinic:support")
    sessions = SupportSession.objects.filter(provider=request.provider).select_related("granted_by")[:20]
    return render(
        request,
        "clinic/support.html",
        {"form": form, "sessions": [(s, s.is_open(now)) for s in sessions], "now": now},
        status=422 if form.errors else 200,
    )
