"""Rooms (F8): the provider's consulting rooms and who uses which room on which day."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.providers.models import Location, Room
from terminarz.staff.models import Practitioner, RoomAssignment

from .access import clinic_view


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
            return render(request, "clinic/forbidden.html", status=403)
        if "gabinet-name" in request.POST:
            room_form = _scope(RoomForm(request.POST, prefix="gabinet"), request.provider)
            if room_form.is_valid():
                try:
                    with transaction.atomic():
                        room = Room.objects.create(provider=request.provider, **room_form.cleaned_data)
                        record_audit(
                            provider_id=request.provider.pk,
                            action="room.created",
                            target=room,
                            summary=f"Dodano gabinet {room.name}",
                            actor=request.user,
                        )
                    messages.success(request, "Dodano gabinet.")
                    return redirect("clinic:rooms")
                except IntegrityError:
                    room_form.add_error("name", _("W tej lokalizacji jest już gabinet o tej nazwie."))
        else:
            assignment_form = _scope(AssignmentForm(request.POST, prefix="przydzial"), request.provider)
            if assignment_form.is_valid():
                assignment = RoomAssignment(provider=request.provider, **assignment_form.cleaned_data)
                try:
                    assignment.validate_constraints()
                except forms.ValidationError as exc:
                    assignment_form.add_error(None, exc)
                else:
                    with transaction.atomic():
                        assignment.save()
                        record_audit(
                            provider_id=request.provider.pk,
                            action="room.assigned",
                            target=assignment,
                            summary=f"Gabinet {assignment.room.name}: {assignment.practitioner.full_name}, "
                            f"{assignment.day:%d.%m.%Y}",
                            actor=request.user,
                        )
                    messages.success(request, "Przydzielono gabinet.")
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
