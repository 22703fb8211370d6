import datetime as dt

from ninja import Schema


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


class PatientIn(Schema):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str | None = None
    pesel: str | None = None


class AppointmentIn(Schema):
    slot: int | str | None = None
    patient: PatientIn | None = None
    note: str | None = None
    accept_requirements: bool = False


class AppointmentOut(Schema):
    id: int
    status: str
    slot: int
    start: dt.datetime
    reference: str
    cancel_token: str


class CancelIn(Schema):
    token: str = ""
    reason: str = ""


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
