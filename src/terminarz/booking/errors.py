"""Domain errors of booking with their stable API codes."""

from terminarz.core.statemachine import TransitionRefused


class BookingError(Exception):
    code = "booking_error"
    status = 400
    default_message = "Nie udało się wykonać operacji."

    def __init__(self, message: str = "", *, errors: dict[str, list[str]] | None = None):
        message = message or self.default_message
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidBooking(BookingError):
    code = "invalid"
    status = 422
    default_message = "Popraw zaznaczone pola."


class SlotTaken(BookingError):
    code = "slot_taken"
    status = 409

    def __init__(self, message: str = "Ten termin jest już zajęty.", *, alternatives=None):
        super().__init__(message)
        self.alternatives = alternatives or []


class AppointmentNotFound(BookingError):
    code = "not_found"
    status = 404
    default_message = "Nie znaleziono wizyty."


class TransitionNotAllowed(BookingError, TransitionRefused):
    """A refused appointment transition: the one refusal type of core.statemachine."""

    code = "not_allowed"
    status = 409


class BookingRefused(InvalidBooking):
    """A provider rule forbids this booking (D4, D5, D6, registration off): not a field error."""

    code = "refused"


class SlotNotOffered(InvalidBooking):
    """The slot exists but is not offered on the request's channel (C4, B3)."""
