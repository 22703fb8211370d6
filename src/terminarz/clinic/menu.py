"""The back-office menu: modules in four groups, each shown only with the permission it needs
(B1), the current page marked. One place decides what a person sees in the header."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str  # in the "clinic" namespace unless it contains ":"
    permission: str  # "" for superusers only

    def url(self) -> str:
        return reverse(self.url_name if ":" in self.url_name else f"clinic:{self.url_name}")


GROUPS: list[tuple[str, list[Item]]] = [
    (
        "Kalendarz",
        [
            Item("Terminarz dnia", "calendar", "calendar.view"),
            Item("Tydzień", "calendar-week", "calendar.view"),
            Item("Wizyty dnia", "today", "calendar.view"),
            Item("Rezerwacje", "bookings", "calendar.view"),
        ],
    ),
    (
        "Pacjenci",
        [
            Item("Kartoteka pacjentów", "patients", "patients.view"),
            Item("Kolejki oczekujących", "queues", "patients.view"),
            Item("Wnioski pacjentów", "requests", "patients.view"),
            Item("Wiadomości", "messages", "messages.view"),
        ],
    ),
    (
        "Placówka",
        [
            Item("Harmonogramy", "schedules", "schedules.view"),
            Item("Dni wolne i święta", "closure-days", "schedules.view"),
            Item("Struktura", "org", "org.view"),
            Item("Personel", "staff", "org.view"),
            Item("Gabinety", "rooms", "org.view"),
            Item("Usługi", "services", "services.change"),
        ],
    ),
    (
        "Ustawienia",
        [
            Item("Rejestracja on-line", "registration-settings", "settings.change"),
            Item("Konta personelu", "staff-accounts", "staff.change"),
            Item("Dziennik zmian (audyt)", "audit", "audit.view"),
            Item("Administracja systemu", "admin:index", ""),
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
            Entry(item.label, item.url(), item.url_name == current)
            for item in items
            if (item.permission in permissions if item.permission else superuser)
        ]
        if entries:
            groups.append(Group(label, entries))
    return groups
