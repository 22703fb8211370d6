"""Domain errors of booking with their stable API codes."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from terminarz.core.statemachine import TransitionRefused

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BookingError(Exception):
    code = "booking_error"
    status = 400
    default_message: "StrOrPromise" = gettext_lazy("Nie udało się wykonać operacji.")

    def __init__(self, message: "StrOrPromise" = "", *, errors: dict[str, list[str]] | None = None):
        # Plain text in the language active where it is raised: the message goes into JSON
        # (the API's error body, checked by its schema as a string).
        message = str(message or self.default_message)
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidBooking(BookingError):
    code = "invalid"
    status = 422
    default_message = gettext_lazy("Popraw zaznaczone pola.")


class SlotTaken(BookingError):
    code = "slot_taken"
    status = 409
    default_message = gettext_lazy("Ten termin jest już zajęty.")

    def __init__(self, message: "StrOrPromise" = "", *, alternatives=None):
        super().__init__(message)
        self.alternatives = alternatives or []


class AppointmentNotFound(BookingError):
    code = "not_found"
    status = 404
    default_message = gettext_lazy("Nie znaleziono wizyty.")


class TransitionNotAllowed(BookingError, TransitionRefused):
    """A refused appointment transition: the one refusal type of core.statemachine."""

    code = "not_allowed"
    status = 409


class BookingRefused(InvalidBooking):
    """A provider rule forbids this booking (D4, D5, D6, registration off): not a field error."""

    code = "refused"


class ConsentWithdrawn(BookingRefused):
    """E3: the account withdrew its consent to processing data for registration."""

    code = "consent_withdrawn"


class SlotNotOffered(InvalidBooking):
    """The slot exists but is not offered on the request's channel (C4, B3)."""
