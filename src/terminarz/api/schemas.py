import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from terminarz.scheduling.forms import MAX_ID

# Ids: positive integers up to MAX_ID (2**62); anything else is a 422 before any lookup.
MAX_PK = MAX_ID


class PractitionerOut(Schema):
    id: int
    name: str
    specializations: list[str]


class UnitOut(Schema):
    id: int
    name: str
    city: str


class SlotOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    practitioner: PractitionerOut
    unit: UnitOut
    financing: str


class SlotPage(Schema):
    items: list[SlotOut]
    next: str | None


class PractitionerAvailabilityOut(Schema):
    id: int
    name: str
    slots: list[tuple[int, dt.datetime, dt.datetime, int, Literal["nfz", "private"], Literal["no", "possible", "only"]]]


class AvailabilityOut(Schema):
    date_from: dt.date
    date_to: dt.date
    slot_fields: list[str]
    practitioners: list[PractitionerAvailabilityOut]
    truncated: bool


class PatientIn(Schema):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str | None = None
    pesel: str | None = None


class AppointmentIn(Schema):
    slot: Annotated[int | None, Field(ge=1, le=MAX_PK)] = None
    patient: PatientIn | None = None
    note: str | None = None
    accept_requirements: bool = False


class PaymentOut(Schema):
    """The visit's online payment (H4, H5): a "held" booking waits for it until `deadline`."""

    status: str
    required: bool
    amount: Annotated[str, Field(pattern=r"^\d+\.\d{2}$", description="PLN, two decimals, as text")]
    deadline: dt.datetime | None = None
    url: str  # the payment page to send the patient to


class AppointmentOut(Schema):
    id: int
    status: str
    slot: int
    start: dt.datetime
    reference: str
    cancel_token: str
    payment: PaymentOut | None = None


class CancelIn(Schema):
    # The link secret is printable ASCII; anything else cannot match and is refused as invalid.
    token: Annotated[str, Field(max_length=200, pattern=r"^[!-~]*$")] = ""
    reason: Annotated[str, Field(max_length=300)] = ""


class CancelOut(Schema):
    id: int
    status: str


class ErrorOut(Schema):
    code: str
    message: str = ""
    errors: dict[str, list[str]] = {}


class SlotTakenOut(Schema):
    code: str
    message: str
    alternatives: list[SlotOut]
