"""The back-office menu: modules in four groups, each shown only with the permission it needs
(B1), the current page marked. One place decides what a person sees in the header."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Item:
    label: StrOrPromise
    url_name: str  # in the "clinic" namespace unless it contains ":"
    permission: str  # "" for superusers only

    def url(self) -> str:
        return reverse(self.url_name if ":" in self.url_name else f"clinic:{self.url_name}")


GROUPS: list[tuple[StrOrPromise, list[Item]]] = [
    (
        gettext_lazy("Kalendarz"),
        [
            Item(gettext_lazy("Terminarz dnia"), "calendar", "calendar.view"),
            Item(gettext_lazy("Tydzień"), "calendar-week", "calendar.view"),
            Item(gettext_lazy("Wizyty dnia"), "today", "calendar.view"),
            Item(gettext_lazy("Rezerwacje"), "bookings", "calendar.view"),
            Item(gettext_lazy("Płatności online"), "payments", "payments.view"),
        ],
    ),
    (
        gettext_lazy("Pacjenci"),
        [
            Item(gettext_lazy("Kartoteka pacjentów"), "patients", "patients.view"),
            Item(gettext_lazy("Kolejki oczekujących"), "queues", "patients.view"),
            Item(gettext_lazy("Wnioski pacjentów"), "requests", "patients.view"),
            Item(gettext_lazy("Wiadomości"), "messages", "messages.view"),
            Item(gettext_lazy("Kampanie marketingowe"), "campaigns", "marketing.send"),
        ],
    ),
    (
        gettext_lazy("Placówka"),
        [
            Item(gettext_lazy("Harmonogramy"), "schedules", "schedules.view"),
            Item(gettext_lazy("Dni wolne i święta"), "closure-days", "schedules.view"),
            Item(gettext_lazy("Dane placówki"), "provider-data", "provider.change"),
            Item(gettext_lazy("Regulaminy"), "terms", "provider.change"),
            Item(gettext_lazy("Struktura"), "org", "org.view"),
            Item(gettext_lazy("Personel"), "staff", "org.view"),
            Item(gettext_lazy("Gabinety"), "rooms", "org.view"),
            Item(gettext_lazy("Usługi"), "services", "services.change"),
            Item(gettext_lazy("Płatnicy i cenniki"), "payers", "payers.change"),
            Item(gettext_lazy("Umowy komercyjne"), "contracts", "services.change"),
            Item(gettext_lazy("Ubezpieczenia"), "insurance", "insurers.change"),
            Item(gettext_lazy("Wnioski i rozliczenia (OLS)"), "ols-claims", "insurers.change"),
        ],
    ),
    (
        gettext_lazy("Ustawienia"),
        [
            Item(gettext_lazy("Rejestracja on-line"), "registration-settings", "settings.change"),
            Item(gettext_lazy("Abonament rejestracji on-line"), "subscription", "settings.change"),
            Item(gettext_lazy("Zasady płatności online"), "payment-settings", "settings.change"),
            Item(gettext_lazy("Integracje"), "integrations", "integrations.change"),
            Item(gettext_lazy("Konta personelu"), "staff-accounts", "staff.change"),
            Item(gettext_lazy("Dostęp wsparcia"), "support", "staff.change"),
            Item(gettext_lazy("Dziennik zmian (audyt)"), "audit", "audit.view"),
            Item(gettext_lazy("Administracja systemu"), "admin:index", ""),
        ],
    ),
]


@dataclass
class Entry:
    label: str
    url: str
    current: bool


@dataclass
class Group:
    label: str
    entries: list[Entry]

    @property
    def current(self) -> bool:
        return any(e.current for e in self.entries)


def menu_for(permissions, *, superuser: bool, current: str) -> list[Group]:
    """The groups a person sees (a group with nothing allowed is left out)."""
    groups = []
    for label, items in GROUPS:
        entries = [
            Entry(str(item.label), item.url(), item.url_name == current)
            for item in items
            if (item.permission in permissions if item.permission else superuser)
        ]
        if entries:
            groups.append(Group(str(label), entries))
    return groups
