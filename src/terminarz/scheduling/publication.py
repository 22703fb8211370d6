"""Publishing a schedule online may be limited by a capability above `scheduling` (A4: the
online-registration subscription's quota). Such a capability registers a guard from its
`AppConfig.ready`; `editing.save_schedule` asks every guard inside its transaction before a
schedule becomes published (new and published, or switched to published). A guard raises
`PublicationRefused` with the sentence to show; it takes its own locks (the provider row),
so two publications racing for the last place are serialized."""

from collections.abc import Callable

GUARDS: list[Callable] = []


class PublicationRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def register(guard: Callable) -> None:
    """`guard(schedule)` – the schedule about to be saved as published; raises PublicationRefused."""
    if guard not in GUARDS:
        GUARDS.append(guard)


def check(schedule) -> None:
    for guard in GUARDS:
        guard(schedule)
