"""K3 in the back-office: a practitioner's visits in their own calendar app through a secret
link ("Kalendarz internetowy"): make it (shown once), make a new one (the old stops working),
switch it off. The public endpoint serves the feed by the link's token."""

import hashlib

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from terminarz.booking import feeds
from terminarz.core.tenancy import public_scope
from terminarz.staff.models import Practitioner

from .access import clinic_view, get_for_provider


@require_http_methods(["GET", "POST"])
@clinic_view("staff.change")
def practitioner_calendar(request, practitioner_id: int):
    practitioner = get_for_provider(Practitioner.objects.all(), request.provider, practitioner_id)
    link = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = feeds.create(practitioner, actor=request.user)
            link = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
            messages.success(request, gettext("Utworzono link. Skopiuj go teraz – nie pokażemy go ponownie."))
        elif action == "revoke":
            if feeds.revoke(practitioner, actor=request.user):
                messages.success(request, gettext("Link wyłączony – kalendarze przestaną pobierać wizyty."))
            return redirect("clinic:practitioner-calendar", practitioner_id=practitioner.pk)
    return render(
        request,
        "clinic/practitioner_calendar.html",
        {"practitioner": practitioner, "feed": feeds.current(practitioner), "link": link},
    )


def _feed_key(_group, request) -> str:
    """Per link, not per IP: calendar services fetch many people's feeds from shared addresses."""
    return "feed:" + hashlib.sha256(request.resolver_match.kwargs.get("token", "").encode()).hexdigest()[:32]


@require_GET
@ratelimit(key="ip", rate="600/m", block=True)
@ratelimit(key=_feed_key, rate="60/m", block=True)
def calendar_feed(request, token: str):
    """The feed itself (public: the secret link is the key); never cached on the way."""
    with public_scope():
        feed = feeds.find(token)
        if feed is None:
            raise Http404
        body = feeds.feed_ics(feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="wizyty.ics"'
    return response
