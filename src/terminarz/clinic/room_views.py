"""Rooms (F8): the provider's consulting rooms and who uses which room on which day."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.providers import services as org_services
from terminarz.providers.models import Location, Room
from terminarz.staff import services as staff_services
from terminarz.staff.models import Practitioner, RoomAssignment

from .access import clinic_view, terms_pending


class RoomForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Lokalizacja"), queryset=Location.objects.none())
    name = forms.CharField(label=_("Nazwa gabinetu"), max_length=100)


class AssignmentForm(forms.Form):
    practitioner = forms.ModelChoiceField(label=_("Lekarz"), queryset=Practitioner.objects.none())
    room = forms.ModelChoiceField(label=_("Gabinet"), queryset=Room.objects.none())
    day = forms.DateField(label=_("Dzień"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


def _scope(form, provider):
    for name, queryset in (
        ("location", Location.objects.filter(provider=provider)),
        ("practitioner", Practitioner.objects.filter(provider=provider)),
        ("room", Room.objects.filter(provider=provider)),
    ):
        if name in form.fields:
            form.fields[name].queryset = queryset
    return form


@require_http_methods(["GET", "POST"])
@clinic_view("org.view")
def rooms(request):
    room_form = _scope(RoomForm(prefix="gabinet"), request.provider)
    assignment_form = _scope(AssignmentForm(prefix="przydzial"), request.provider)
    if request.method == "POST":
        if not request.membership.has_permission("org.change"):
            raise PermissionDenied
        if terms_pending(request, request.provider.pk):  # A3: "org.change" is gated
            return redirect("clinic:terms")
        if "gabinet-name" in request.POST:
            room_form = _scope(RoomForm(request.POST, prefix="gabinet"), request.provider)
            if room_form.is_valid():
                try:
                    org_services.create_room(request.provider, actor=request.user, **room_form.cleaned_data)
                except org_services.OrgError as exc:
                    room_form.add_error("name", exc.message)
                else:
                    messages.success(request, gettext("Dodano gabinet."))
                    return redirect("clinic:rooms")
        else:
            assignment_form = _scope(AssignmentForm(request.POST, prefix="przydzial"), request.provider)
            if assignment_form.is_valid():
                try:
                    staff_services.assign_room(request.provider, actor=request.user, **assignment_form.cleaned_data)
                except forms.ValidationError as exc:
                    assignment_form.add_error(None, exc)
                else:
                    messages.success(request, gettext("Przydzielono gabinet."))
                    return redirect("clinic:rooms")
    today = clock.local_today()
    upcoming = RoomAssignment.objects.filter(
        provider=request.provider, day__gte=today, day__lt=today + dt.timedelta(days=14)
    ).select_related("room", "practitioner")
    return render(
        request,
        "clinic/rooms.html",
        {
            "rooms": Room.objects.filter(provider=request.provider).select_related("location"),
            "upcoming": upcoming,
            "room_form": room_form,
            "assignment_form": assignment_form,
        },
        status=422 if request.method == "POST" else 200,
    )
