"""Minimal back-office page: today's appointments per practitioner, scoped to the provider."""

import datetime as dt
from collections import OrderedDict

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from terminarz.booking.models import ACTIVE_STATUSES, Appointment
from terminarz.core import clock
from terminarz.providers.models import Provider


def provider_for(request) -> Provider:
    """The provider whose back-office the user works in; 404 when the user has none."""
    memberships = request.user.memberships.select_related("provider")
    wanted = request.GET.get("placowka")
    if wanted and wanted.isdigit():
        memberships = memberships.filter(provider_id=int(wanted))
    membership = memberships.order_by("provider__name").first()
    if membership is None:
        raise Http404
    return membership.provider


@login_required(login_url="/admin/login/")
def today(request):
    provider = provider_for(request)
    day = clock.local_today()
    if request.GET.get("dzien"):
        try:
            day = dt.date.fromisoformat(request.GET["dzien"])
        except ValueError:
            pass
    appointments = (
        Appointment.objects.filter(provider=provider, start__date=day, status__in=ACTIVE_STATUSES)
        .select_related("practitioner", "unit")
        .order_by("practitioner__last_name", "practitioner_id", "start")
    )
    by_practitioner: OrderedDict = OrderedDict()
    for appointment in appointments:
        by_practitioner.setdefault(appointment.practitioner, []).append(appointment)
    return render(
        request,
        "clinic/today.html",
        {
            "provider": provider,
            "day": day,
            "by_practitioner": by_practitioner,
            "providers": [m.provider for m in request.user.memberships.select_related("provider")],
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )
