"""C3 for the whole provider: public holidays and closure days (scheduling.closures)."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from terminarz.core import clock
from terminarz.scheduling import closures

from .access import clinic_view


class CloseDayForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Dzień"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=gettext_lazy("Powód (widoczny dla personelu)"), max_length=closures.REASON_MAX, required=False
    )


@require_GET
@clinic_view("schedules.view")
def closure_days(request):
    today = clock.local_today()
    return render(
        request,
        "clinic/closure_days.html",
        {
            "entries": closures.days_ahead(request.provider, today=today),
            "form": CloseDayForm(initial={"day": today + dt.timedelta(days=1)}),
            "today": today,
            "can_change": "schedules.change" in request.membership.permissions,
        },
    )


@require_POST
@clinic_view("schedules.change")
def closure_day_change(request):
    action = request.POST.get("action", "")
    form = CloseDayForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label}: {error}")
        return redirect("clinic:closure-days")
    day, reason = form.cleaned_data["day"], form.cleaned_data["reason"]
    try:
        if action == "close":
            change = closures.close_day(request.provider, day, reason=reason, actor=request.user)
        elif action == "open":
            change = closures.open_holiday(request.provider, day, actor=request.user)
        elif action == "restore":
            change = closures.restore_day(request.provider, day, actor=request.user)
        else:
            messages.error(request, _("Nieznana operacja."))
            return redirect("clinic:closure-days")
    except closures.ClosureError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:closure-days")
    # "Label: number" needs no plural agreement (Polish has three forms; the catalogues come
    # with issue 11's language work).
    summary = _("Dzień %(d)s zapisany. Nowe wolne terminy: %(created)d, usunięte wolne terminy: %(deleted)d.") % {
        "d": day.strftime("%d.%m.%Y"),
        "created": change.created,
        "deleted": change.deleted,
    }
    messages.success(request, summary)
    if change.conflicts:
        messages.warning(
            request,
            _("Umówione wizyty, które zostają tego dnia: %(n)d – przenieś je lub odwołaj w terminarzu.")
            % {"n": len(change.conflicts)},
        )
    return redirect("clinic:closure-days")
