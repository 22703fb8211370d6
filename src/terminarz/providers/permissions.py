"""Named back-office permissions (B1) and what each role gets by default.

A provider admin may grant or revoke single permissions per staff member (Membership).

Least privilege: "calendar.view" and "patients.view" open the calendar and the patient records
only within the person's own scope (their own calendar as a practitioner, the patients who have
visits with them); "calendar.view_all" and "patients.view_all" widen that to the whole provider.
Registrars and admins have both by default; a practitioner gets them only as a per-person grant,
and every read that such a grant makes possible is audited (`clinic.scope`)."""

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

PERMISSIONS: dict[str, StrOrPromise] = {
    "org.view": _("Struktura organizacyjna – podgląd"),
    "org.change": _("Struktura organizacyjna – zmiany"),
    "staff.change": _("Personel i uprawnienia – zmiany"),
    "schedules.view": _("Harmonogramy – podgląd"),
    "schedules.change": _("Harmonogramy – zmiany"),
    "calendar.view": _("Terminarz – podgląd"),
    "calendar.view_all": _("Terminarz – wszyscy lekarze i wszystkie wizyty (nie tylko własne)"),
    "calendar.book": _("Terminarz – umawianie, przenoszenie i odwoływanie wizyt"),
    "patients.view": _("Kartoteka pacjentów – podgląd"),
    "patients.view_all": _("Kartoteka pacjentów – wszyscy pacjenci (nie tylko własni)"),
    "patients.change": _("Kartoteka pacjentów – zmiany"),
    "bookings.export": _("Lista rezerwacji – eksport"),
    "visits.change": _("Wizyty – usługi, udziały płatników i notatki"),
    "services.change": _("Usługi (słownik procedur) i ceny – zmiany"),
    "marketing.send": _("Kampanie marketingowe – przygotowanie i wysyłka"),
    "payers.change": _("Płatnicy – zmiany"),
    "insurers.change": _("Ubezpieczenia – współpraca z ubezpieczycielami"),
    "integrations.change": _("Integracje – dane dostępowe API innych systemów"),
    "provider.change": _("Dane placówki – potwierdzenie i wnioski o zmianę"),
    "payments.view": _("Płatności – podgląd"),
    "payments.change_single": _("Zmiana zasad płatności pojedynczej wizyty"),
    "payments.refund": _("Płatności – zwroty"),
    "payments.invoice": _("Płatności – wystawianie faktur"),
    "settings.change": _("Ustawienia rejestracji – zmiany"),
    "audit.view": _("Audyty – podgląd"),
    "messages.view": _("Dziennik wiadomości do pacjentów – podgląd"),
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "registrar": frozenset(
        {
            "org.view",
            "schedules.view",
            "calendar.view",
            "calendar.view_all",
            "calendar.book",
            "visits.change",
            "messages.view",
            "patients.view",
            "patients.view_all",
            "patients.change",
            "bookings.export",
            "payments.view",
            "payments.invoice",
        }
    ),
    "practitioner": frozenset({"calendar.view", "patients.view", "schedules.view", "visits.change"}),
    "finance": frozenset(
        {
            "payments.view",
            "payments.change_single",
            "payments.refund",
            "payments.invoice",
            "payers.change",
            "services.change",
            "bookings.export",
            # the bookings export covers every practitioner's visits, as before
            "calendar.view_all",
        }
    ),
}
