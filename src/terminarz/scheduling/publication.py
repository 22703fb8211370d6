"""Publishing a schedule online may be limited by a capability above `scheduling` (A4: the
online-registration subscription's quota). Such a capability registers a guard from its
`AppConfig.ready`; `editing.save_schedule` asks every guard inside its transaction before a
schedule starts taking a published place (new and published, switched to published, or a past
one extended into the future: `takes_place`). A guard raises
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


def takes_place(schedule, today) -> bool:
    """Published online and not over: what a quota counts."""
    return bool(schedule.is_published_online) and (schedule.valid_to is None or schedule.valid_to >= today)


def check(schedule) -> None:
    for guard in GUARDS:
        guard(schedule)
