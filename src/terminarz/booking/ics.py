"""Calendar file (.ics, RFC 5545) for a visit (K3): attached to confirmation e-mails and
downloadable from the confirmation page."""

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from terminarz.core import clock

from .models import Appointment, AppointmentStatus


def appointment_ics(appointment: Appointment) -> bytes:
    site = str(settings.SITE_URL).rstrip("/")
    cancel_url = f"{site}{reverse('portal:cancel', args=[appointment.pk])}?t={appointment.cancel_token}"
    calendar = Calendar()
    calendar.add("prodid", "-//Terminarz//Rejestracja pacjentów//PL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.reference}@terminarz")
    event.add("dtstamp", clock.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"Wizyta: {appointment.practitioner.full_name} – {appointment.unit.name}")
    televisit = appointment.slot.televisit == "only"
    event.add("location", "Teleporada" if televisit else appointment.unit.location.address)
    event.add(
        "description",
        f"Numer rezerwacji: {appointment.reference}\n"
        f"{appointment.provider.name}, tel. {appointment.provider.phone or '–'}\n"
        f"Odwołanie wizyty: {cancel_url}",
    )
    cancelled = appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
