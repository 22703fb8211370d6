"""Registrar's day: a practitioner's slots with their visits (F1), desk booking (F2),
cancelling and moving visits (F4). Every lookup goes through the request's provider."""

import datetime as dt

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from terminarz.booking import services as booking
from terminarz.booking.errors import InvalidBooking, SlotTaken
from terminarz.booking.models import ACTIVE_STATUSES, Appointment
from terminarz.core import clock
from terminarz.patients.forms import DeskPatientForm
from terminarz.patients.models import HealthCard, Patient
from terminarz.patients.services import active_cards, add_card, create_patient, search_patients
from terminarz.providers.models import Unit, settings_for
from terminarz.scheduling.models import Schedule, Slot
from terminarz.scheduling.search import open_slots
from terminarz.staff.models import Practitioner, RoomAssignment

from . import scope, timegrid
from .access import clinic_view, get_for_provider


def _day(value: str | None) -> dt.date:
    return clock.parse_day(value)


def _local_range(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local days as a UTC range on start, so the (practitioner, start) index serves it."""
    return (
        dt.datetime.combine(first, dt.time(0), clock.WARSAW),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), clock.WARSAW),
    )


def calendar_url(practitioner_id: int, day: dt.date) -> str:
    return f"{reverse('clinic:calendar')}?lekarz={practitioner_id}&dzien={day:%Y-%m-%d}"


def day_url(slot_or_appointment) -> str:
    return calendar_url(slot_or_appointment.practitioner_id, clock.local_today(at=slot_or_appointment.start))


def _chosen_practitioner(request, practitioners: list[Practitioner]) -> Practitioner | None:
    """The calendar asked for in ?lekarz= (404 when it is not one the person may open), else
    the person's own calendar, else the first one they may see."""
    wanted = request.GET.get("lekarz", "")
    if wanted:
        return scope.get_practitioner(request, wanted)
    chosen = scope.default_practitioner(request.membership, practitioners)
    if chosen is not None:  # a colleague's calendar opened by default is audited like a chosen one
        scope.audit_calendars_read(request, [chosen.pk], gettext("terminarz lekarza"), target=chosen)
    return chosen


def _grid_permissions(request) -> dict:
    return {
        "today": clock.local_today(),
        "can_book": request.membership.has_permission("calendar.book"),
        "can_block": request.membership.has_permission("schedules.change"),
    }


def _with_visits(request, slots: list[Slot]) -> list[tuple[Slot, Appointment | None]]:
    visits = {
        a.slot_id: a
        for a in Appointment.objects.filter(
            provider=request.provider, slot__in=[s.pk for s in slots], status__in=ACTIVE_STATUSES
        ).select_related("payment", "payer_booking__insurer")
    }
    return [(s, visits.get(s.pk)) for s in slots]


@clinic_view("calendar.view")
def calendar_day(request):
    """F1 day as a time grid: one practitioner's day, or a unit's day with its practitioners
    as columns (those the person may see). A visit opens in the side panel."""
    practitioners = list(scope.visible_practitioners(request.membership).order_by("last_name", "first_name"))
    units = list(Unit.objects.filter(provider=request.provider).order_by("name"))
    unit = next((u for u in units if str(u.pk) == request.GET.get("poradnia", "")), None)
    practitioner = None if unit is not None else _chosen_practitioner(request, practitioners)
    day = _day(request.GET.get("dzien"))
    now = clock.now()
    grid = None
    room = None
    if unit is not None or practitioner is not None:
        slots = Slot.objects.filter(provider=request.provider, start__range=_local_range(day, day), day=day)
        if unit is not None:
            shown = {p.pk for p in practitioners}
            slots = slots.filter(unit=unit, practitioner_id__in=sorted(shown))
        else:
            slots = slots.filter(practitioner=practitioner)
        rows = _with_visits(request, list(slots.select_related("unit").order_by("start")))
        if unit is not None:
            by_id = {p.pk: p for p in practitioners}
            present = sorted(
                {s.practitioner_id for s, _v in rows}, key=lambda pk: (by_id[pk].last_name, by_id[pk].first_name)
            )
            columns = [
                timegrid.Column(key=str(pk), label=by_id[pk].full_name, day=day, practitioner=by_id[pk])
                for pk in present
            ]
            entries: dict[str, list] = {}
            for slot, visit in rows:
                entries.setdefault(str(slot.practitioner_id), []).append((slot, visit))
            scope.audit_calendars_read(
                request, present, gettext("dzień poradni %(unit)s") % {"unit": unit.name}, target=unit
            )
        else:
            assert practitioner is not None
            columns = [timegrid.Column(key="day", label=f"{day:%d.%m}", day=day, practitioner=practitioner)]
            entries = {"day": rows}
            room = RoomAssignment.objects.filter(practitioner=practitioner, day=day).select_related("room").first()
        grid = timegrid.build(columns, entries, now=now, today=clock.local_today())
    return render(
        request,
        "clinic/calendar_day.html",
        {
            "practitioners": practitioners,
            "units": units,
            "unit": unit,
            "practitioner": practitioner,
            "day": day,
            "grid": grid,
            "room": room,
            "own_only": not scope.sees_all_calendars(request.membership),
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            **_grid_permissions(request),
        },
    )


@require_http_methods(["GET", "POST"])
@clinic_view("calendar.book")
def desk_booking(request, slot_id: int):
    slot = get_for_provider(
        Slot.objects.select_related("practitioner", "unit__location").filter(
            practitioner__in=scope.visible_practitioners(request.membership)
        ),
        request.provider,
        slot_id,
    )
    query = request.GET.get("q", "")
    cards = settings_for(request.provider.pk).cards_enabled  # E6 "Obsługa kart pacjenta"
    visible = scope.visible_patients(request.membership)
    found = search_patients(request.provider, query, among=visible, by_card=cards) if query else []
    card_numbers = active_cards(p.pk for p in found) if cards else {}
    new_form = DeskPatientForm(prefix="nowy", cards=cards)
    error = None
    if request.method == "POST":
        note = request.POST.get("note", "")
        patient: Patient | None = None
        new_patient: dict | None = None
        if request.POST.get("patient"):
            patient = scope.get_patient(request, Patient.objects.all(), request.POST["patient"])
        else:
            new_form = DeskPatientForm(request.POST, prefix="nowy", cards=cards)
            if new_form.is_valid():
                number = new_form.cleaned_data.get("card_number")
                if number and HealthCard.objects.filter(provider=request.provider, number=number).exists():
                    new_form.add_error("card_number", gettext("Karta o tym numerze jest już w kartotece."))
                else:
                    new_patient = dict(new_form.cleaned_data)
        if patient is not None or new_patient is not None:
            try:
                # One action: a new patient, their card and the visit are saved together or not at all.
                with transaction.atomic():
                    if new_patient is not None:
                        card_number = new_patient.pop("card_number", "")
                        patient = create_patient(request.provider, new_patient, actor=request.user)
                        if card_number:
                            add_card(patient, card_number, actor=request.user, active=True)
                    assert patient is not None
                    appointment = booking.book_for_patient(slot.pk, patient, actor=request.user, note=note)
            except IntegrityError:
                error = gettext("Karta o tym numerze jest już w kartotece.")
            except SlotTaken:
                error = gettext("Ten termin jest już zajęty. Wybierz inny termin w terminarzu.")
            except InvalidBooking as exc:
                error = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
            else:
                messages.success(
                    request,
                    gettext("Umówiono wizytę %(reference)s: %(first_name)s %(last_name)s, %(date)s %(time)s.")
                    % {
                        "reference": appointment.reference,
                        "first_name": patient.first_name,
                        "last_name": patient.last_name,
                        "date": f"{clock.local_today(at=appointment.start):%d.%m.%Y}",
                        "time": f"{appointment.start.astimezone(clock.WARSAW):%H:%M}",
                    },
                )
                if appointment.status == "held" and appointment.hold_reason == "payment" and appointment.hold_until:
                    messages.info(
                        request,
                        gettext(
                            "Wizyta wymaga płatności online: zostanie potwierdzona po wpłacie, a bez niej "
                            "anulowana %(deadline)s. Link do płatności wysłano pacjentowi."
                        )
                        % {"deadline": clock.local_text(appointment.hold_until)},
                    )
                return redirect(day_url(slot))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "clinic/desk_booking.html",
        {
            "slot": slot,
            "query": query,
            "found": [(p, card_numbers.get(p.pk, "")) for p in found],
            "cards": cards,
            "new_form": new_form,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@clinic_view("calendar.book")
def cancel_visit(request, appointment_id: int):
    appointment = scope.get_appointment(
        request, Appointment.objects.select_related("practitioner", "unit", "provider"), appointment_id
    )
    error = None
    if request.method == "POST":
        try:
            booking.cancel_appointment_by_clinic(appointment, actor=request.user, reason=request.POST.get("reason", ""))
        except InvalidBooking as exc:
            error = " ".join(m for msgs in exc.errors.values() for m in msgs)
        else:
            messages.success(
                request,
                gettext("Odwołano wizytę %(reference)s. Pacjent dostanie powiadomienie.")
                % {"reference": appointment.reference},
            )
            return redirect(day_url(appointment))
    return render(
        request, "clinic/cancel_visit.html", {"appointment": appointment, "error": error}, status=422 if error else 200
    )


@require_http_methods(["GET", "POST"])
@clinic_view("calendar.book")
def move_visit(request, appointment_id: int):
    appointment = scope.get_appointment(
        request, Appointment.objects.select_related("practitioner", "unit", "provider"), appointment_id
    )
    error = None
    if request.method == "POST":
        slot_id = request.POST.get("slot")
        if slot_id:
            # Only into a calendar the person may see (like desk booking): a colleague's slot
            # answers 404 whether free or taken, so neither the move nor its answer reaches there.
            slot_id = get_for_provider(
                Slot.objects.filter(practitioner__in=scope.visible_practitioners(request.membership)),
                request.provider,
                slot_id,
            ).pk
        try:
            booking.move_appointment(appointment, slot_id, actor=request.user, reason=request.POST.get("reason", ""))
        except SlotTaken:
            error = gettext("Ten termin jest już zajęty. Wybierz inny.")
        except InvalidBooking as exc:
            error = " ".join(m for msgs in exc.errors.values() for m in msgs)
        else:
            messages.success(
                request,
                gettext("Przeniesiono wizytę %(reference)s. Pacjent dostanie powiadomienie.")
                % {"reference": appointment.reference},
            )
            appointment.refresh_from_db()
            return redirect(day_url(appointment))
    day = _day(request.GET.get("dzien") or f"{clock.local_today(at=appointment.start):%Y-%m-%d}")
    free = (
        open_slots(clock.now(), portal=False)
        .filter(provider=request.provider, practitioner_id=appointment.practitioner_id, day=day)
        .select_related("unit")
        .order_by("start")
    )
    return render(
        request,
        "clinic/move_visit.html",
        {
            "appointment": appointment,
            "day": day,
            "free": free,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "error": error,
        },
        status=422 if error else 200,
    )


def _week_start(value: str | None) -> dt.date:
    day = _day(value)
    return day - dt.timedelta(days=day.weekday())


@clinic_view("calendar.view")
def calendar_week(request):
    """F1 week views: one practitioner's week of slots, or a unit's week (practitioners × days).
    Navigation swaps only the calendar part through htmx; without JavaScript it is a link."""
    monday = _week_start(request.GET.get("od"))
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    units = list(Unit.objects.filter(provider=request.provider).order_by("name"))
    practitioners = list(scope.visible_practitioners(request.membership).order_by("last_name", "first_name"))
    unit = next((u for u in units if str(u.pk) == request.GET.get("poradnia", "")), None)
    practitioner = None
    if unit is None:
        practitioner = _chosen_practitioner(request, practitioners)
    start, end = _local_range(days[0], days[-1])
    week_slots = Slot.objects.filter(provider=request.provider, start__gte=start, start__lt=end)
    if unit is not None:
        # A unit's week shows only the rows of practitioners the person may see (least privilege).
        unit_practitioners = set(
            Schedule.objects.filter(unit=unit).values_list("practitioner_id", flat=True).distinct()
        ) & {p.pk for p in practitioners}
        week_slots = week_slots.filter(unit=unit, practitioner_id__in=sorted(unit_practitioners))
        scope.audit_calendars_read(
            request, unit_practitioners, gettext("tydzień poradni %(unit)s") % {"unit": unit.name}, target=unit
        )
    elif practitioner is not None:
        week_slots = week_slots.filter(practitioner=practitioner)
    else:
        week_slots = week_slots.none()
    context = {
        "days": days,
        "units": units,
        "practitioners": practitioners,
        "unit": unit,
        "practitioner": practitioner,
        "prev_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        **_grid_permissions(request),
    }
    if unit is not None:
        # Counted in the database: a unit's week can hold thousands of slots.
        counts = week_slots.values("practitioner_id", "day", "state").annotate(n=Count("id"))
        by_id = {p.pk: p for p in practitioners}
        rows: dict = {}
        for c in counts:
            row = rows.setdefault(by_id[c["practitioner_id"]], {d: {"free": 0, "booked": 0} for d in days})
            key = "booked" if c["state"] in ("booked", "held") else "free" if c["state"] == "free" else None
            if key:
                row[c["day"]][key] += c["n"]
        context["unit_rows"] = dict(sorted(rows.items(), key=lambda item: (item[0].last_name, item[0].first_name)))
    else:
        week_rows = _with_visits(request, list(week_slots.select_related("unit").order_by("start")))
        columns = [
            timegrid.Column(key=d.isoformat(), label=f"{d:%d.%m}", day=d, practitioner=practitioner) for d in days
        ]
        entries: dict[str, list] = {}
        for slot, visit in week_rows:
            entries.setdefault(slot.day.isoformat(), []).append((slot, visit))
        context["grid"] = timegrid.build(columns, entries, now=clock.now(), today=clock.local_today())
    template = "clinic/_calendar_week.html" if request.htmx else "clinic/calendar_week.html"
    return render(request, template, context)
