"""The audit log in words a clinic reads (A8): Polish names of the recorded actions, of the
changed fields and of who acted, and changes written as "before → after".

State machines register their status names (`describe_machine`), so "appointment.no_show"
reads "Zmiana statusu wizyty: nieobecność"."""

import functools
from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

ACTIONS: dict[str, str] = {
    "access.widened": "Wgląd poza własny kalendarz lub pacjentów",
    "account.deleted": "Usunięcie konta pacjenta",
    "appointment.moved": "Przeniesienie wizyty",
    "bookings.exported": "Eksport rezerwacji",
    "campaign.sent": "Wysłanie kampanii marketingowej",
    "certificate.uploaded": "Wgranie certyfikatu do podpisywania cenników",
    "change_request.applied": "Wprowadzenie zatwierdzonej zmiany danych placówki",
    "contract.created": "Nowa umowa komercyjna",
    "contract.product_added": "Dodanie produktu do umowy komercyjnej",
    "location.corrected": "Poprawienie danych lokalizacji",
    "location_code.provider": "Kod lokalizacji nadany przez placówkę",
    "location_code.operator": "Kod lokalizacji nadany przez ubezpieczyciela",
    "ols.prices": "Ceny usług dla ubezpieczyciela (OLS)",
    "ols.settlement_exported": "Eksport rozliczenia z ubezpieczycielem (OLS)",
    "ols.terms_accepted": "Akceptacja warunków współpracy (OLS)",
    "payers.imported": "Pobranie płatników",
    "pricelist.exported": "Eksport cennika płatnika",
    "pricelist.overridden": "Nadpisanie ceny w cenniku płatnika",
    "pricelist.published": "Publikacja cennika dla ubezpieczyciela",
    "pricelist.removed": "Usunięcie ceny z cennika płatnika",
    "provider.data_changed": "Zmiana danych placówki",
    "provider.data_confirmed": "Potwierdzenie danych placówki",
    "provider.opened": "Otwarcie konta placówki na platformie",
    "provider.reactivated": "Przywrócenie konta placówki",
    "referral.sent": "Wystawienie skierowania przez ubezpieczyciela",
    "service_group.changed": "Zmiana grupy usług",
    "subscription.invoice_issued": "Wystawienie faktury za abonament",
    "subscription.online_on": "Włączenie rejestracji on-line w abonamencie",
    "support.ended": "Zakończenie dostępu wsparcia",
    "support.granted": "Udzielenie dostępu wsparcia",
    "support.patients_searched": "Wyszukiwanie pacjentów przez wsparcie",
    "card.activated": "Aktywacja karty pacjenta",
    "card.added": "Dodanie karty pacjenta",
    "closure.closed": "Placówka nieczynna w wybranym dniu",
    "closure.opened": "Dzień pracy mimo święta",
    "closure.restored": "Dzień jak w kalendarzu",
    "document.shared": "Udostępnienie dokumentu pacjentowi",
    "location.hidden": "Ukrycie lokalizacji",
    "location.shown": "Pokazanie lokalizacji",
    "messages.template_changed": "Zmiana szablonu wiadomości",
    "messages.template_reset": "Przywrócenie szablonu wiadomości",
    "insurance.document_added": "Dokument do oferty współpracy z ubezpieczycielem",
    "insurance.document_downloaded": "Pobranie dokumentu współpracy z ubezpieczycielem",
    "insurance.online": "Rejestracja on-line dla Ubezpieczycieli",
    "insurance.parameters": "Parametry współpracy z ubezpieczycielem",
    "insurance.terms_accepted": "Akceptacja regulaminu usługi Ubezpieczenia",
    "invoice.downloaded": "Pobranie faktury",
    "invoice.issued": "Wystawienie faktury",
    "patient.changed": "Zmiana danych pacjenta",
    "payment.deadline_changed": "Zmiana terminu płatności wizyty",
    "payment.link_sent": "Ponowne wysłanie linku do płatności",
    "payment.refund_requested": "Zlecenie zwrotu płatności",
    "payments.exported": "Eksport raportu płatności online",
    "payments.rule": "Zmiana zasady płatności online",
    "payments.rule_deleted": "Usunięcie zasady płatności online",
    "payments.settings": "Zmiana ustawień płatności online",
    "patient.created": "Nowy pacjent",
    "patient.opened": "Otwarcie kartoteki pacjenta",
    "practitioner.changed": "Zmiana danych personelu",
    "practitioner.created": "Nowa osoba w personelu",
    "prescription.handled": "Obsługa prośby o receptę",
    "queue.added": "Wpis do kolejki oczekujących",
    "queue.changed": "Zmiana wpisu w kolejce oczekujących",
    "rodo.handled": "Obsługa wniosku RODO",
    "rodo.withdrawn": "Wycofanie wniosku RODO",
    "room.assigned": "Przydział gabinetu",
    "room.created": "Nowy gabinet",
    "integration.created": "Nowe dane dostępowe API",
    "integration.rotated": "Nowy sekret danych dostępowych API",
    "integration.revoked": "Unieważnienie danych dostępowych API",
    "integration.webhook_created": "Nowy webhook",
    "integration.webhook_enabled": "Włączenie webhooka",
    "integration.webhook_disabled": "Wyłączenie webhooka",
    "integration.webhook_rotated": "Nowy sekret webhooka",
    "calendar_feed.created": "Nowy link kalendarza internetowego",
    "calendar_feed.revoked": "Wyłączenie linku kalendarza internetowego",
    "schedule.block_copied": "Skopiowanie bloku harmonogramu",
    "schedule.block_removed": "Usunięcie bloku harmonogramu",
    "schedule.changed": "Zmiana harmonogramu",
    "schedule.created": "Nowy harmonogram",
    "schedule.day_off": "Dzień wolny lekarza",
    "schedule.extra_hours": "Dodatkowe godziny",
    "service.changed": "Zmiana usługi",
    "service.created": "Nowa usługa",
    "settings.registration": "Zmiana ustawień rejestracji on-line",
    "slot.blocked": "Zablokowanie terminu",
    "slot.unblocked": "Odblokowanie terminu",
    "staff.added": "Dodanie konta personelu",
    "staff.permissions": "Zmiana uprawnień personelu",
    "staff.removed": "Usunięcie konta personelu",
    "staff.unlocked": "Odblokowanie konta personelu",
    "unit.changed": "Zmiana komórki",
    "unit.created": "Nowa komórka",
    "unit.opening_hours": "Zmiana godzin otwarcia",
    "visit.note_added": "Notatka do wizyty",
    "visit.service_added": "Dodanie usługi do wizyty",
    "visit.service_removed": "Usunięcie usługi z wizyty",
    "waitlist.added": "Zapis na listę rezerwową przez rejestrację",
    "waitlist.removed": "Usunięcie z listy rezerwowej",
}

FIELDS: dict[str, str] = {
    "status": "status",
    "reason": "powód",
    "created": "nowe wolne terminy",
    "deleted": "usunięte wolne terminy",
    "conflicts": "wizyty do przełożenia",
    "start": "termin",
    "before": "przed",
    "after": "po",
    "service": "usługa (nr)",
    "quantity": "ilość",
    "payer": "płatnik",
    "patient_share": "udział pacjenta (%)",
    "fields": "zmienione pola",
    "granted": "nadane uprawnienia",
    "revoked": "odebrane uprawnienia",
    "filters": "filtry",
    "role": "rola",
    "rows": "wiersze",
    "format": "format",
    "deadline": "termin płatności",
    "amount": "kwota",
    "version": "wersja",
    "iban": "konto bankowe",
    "start_date": "data rozpoczęcia",
    "contact_name": "osoba do kontaktu",
    "document": "dokument (nr)",
    "blocks_added": "dodane bloki",
    "services": "usługi",
    "groups": "grupy usług",
    "referral": "skierowanie (nr)",
    "added": "dodane",
    "updated": "zmienione",
    "removed": "usunięte",
    "patient": "pacjent (nr w kartotece)",
    "blocks_removed": "usunięte bloki",
    "permissions_added": "nadane uprawnienia",
    "permissions_removed": "odebrane uprawnienia",
}

# Changes stored as [before, after]; any other list is a list.
PAIRS = {"status", "start", "deadline", "iban", "start_date", "contact_name"}

ACTORS: dict[str, str] = {
    "patient": "pacjent",
    "system": "system",
    "api": "API",
    "fhir": "aplikacja FHIR",
    "portal": "portal",
    "gateway": "operator płatności",
    "payment": "płatność online",
}

_machines: dict[str, tuple[str, str, Callable[[str], str]]] = {}


def describe_machine(name: str, subject: str, field: str, state_label: Callable[[str], str]) -> None:
    """A state machine's actions ("<name>.<state>") read "Zmiana statusu <subject>: <state>",
    and its status values in the changes by their Polish names."""
    _machines[name] = (subject, field, state_label)


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    prefix, _, state = action.partition(".")
    if prefix in _machines:
        subject, _field, state_label = _machines[prefix]
        return f"Zmiana statusu {subject}: {state_label(state)}"
    return action


def actor_label(label: str) -> str:
    if label.startswith("user:"):
        return f"konto #{label.removeprefix('user:')}"
    if label.startswith("client:"):
        return f"system placówki ({label.removeprefix('client:')})"
    return ACTORS.get(label, label)


def change_lines(action: str, changes: dict, object_type: str = "") -> list[tuple[str, str]]:
    """(field, text) per change; a [before, after] pair or {"before", "after"} reads "a → b";
    a state machine's status by its Polish names; a field of the changed model by its label."""
    machine = _machines.get(action.partition(".")[0])
    model = _models().get(object_type)
    lines = []
    for key, value in changes.items():
        pair = key in PAIRS
        if machine is not None and key == machine[1] and isinstance(value, list | tuple):
            value, pair = [machine[2](v) if v else "" for v in value], True
        if key == "fields" and isinstance(value, list | tuple):
            value = [_field_label(str(name), model) for name in value]
        lines.append((_field_label(key, model), _value_text(value, pair=pair)))
    return lines


@functools.cache
def _models() -> dict[str, type]:
    return {str(model._meta.model_name): model for model in apps.get_models()}


def _field_label(key: str, model) -> str:
    if key in FIELDS:
        return FIELDS[key]
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:
            pass
    return key.replace("_", " ")


def _value_text(value, *, pair: bool = False) -> str:
    if isinstance(value, dict):
        if set(value) == {"before", "after"}:
            return f"{_value_text(value['before'])} → {_value_text(value['after'])}"
        return ", ".join(f"{FIELDS.get(str(k), str(k))}: {_value_text(v)}" for k, v in value.items()) or "–"
    if isinstance(value, list | tuple):
        if pair and len(value) == 2:
            return f"{_value_text(value[0])} → {_value_text(value[1])}"
        texts = [_value_text(v) for v in value]
        return ("; " if any("," in t or " · " in t for t in texts) else ", ").join(texts) or "–"
    if value is True:
        return "tak"
    if value is False:
        return "nie"
    if value in (None, ""):
        return "–"
    return str(value)


# Models without a Polish verbose_name of their own that the log may be about.
OBJECTS: dict[str, str] = {
    "cooperationdocument": "Dokument współpracy z ubezpieczycielem",
    "thematicacceptance": "Akceptacja warunków tematycznych (OLS)",
    "openinghours": "Godziny otwarcia",
    "paymentattempt": "Płatność online",
    "prescriptionrequest": "Prośba o receptę",
    "refund": "Zwrot płatności",
    "rodorequest": "Wniosek RODO",
    "roomassignment": "Przydział gabinetu",
    "waitlistoffer": "Propozycja z listy rezerwowej",
    "webhook": "Webhook",
}


def object_label(object_type: str) -> str:
    """What kind of object an entry is about, by its model's name ("Personel medyczny")."""
    if object_type in OBJECTS:
        return OBJECTS[object_type]
    model = _models().get(object_type)
    if model is None:
        return object_type
    return str(model._meta.verbose_name).capitalize()  # type: ignore[attr-defined]
