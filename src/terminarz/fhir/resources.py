"""Model rows as FHIR R4 resources (plain dicts, serialised with orjson). One builder per
resource type, shared by the API (`views`) and the SMART Scheduling Links feed (`bulk`).

Ids are the rows' primary keys (digits: within SMART's 64 characters of `[A-Za-z0-9-.]`).
Times are instants with the Warsaw offset. Slot states map to FHIR's: free → free, held →
busy-tentative, booked → busy, blocked → busy-unavailable; a slot outside its schedule is
busy-unavailable too."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from terminarz.providers.voivodeships import VOIVODESHIP_CHOICES
from terminarz.scheduling.models import SlotState

from . import codes

WARSAW = ZoneInfo("Europe/Warsaw")
VOIVODESHIPS = dict(VOIVODESHIP_CHOICES)
SLOT_STATUS = {
    SlotState.FREE: "free",
    SlotState.HELD: "busy-tentative",
    SlotState.BOOKED: "busy",
    SlotState.BLOCKED: "busy-unavailable",
}


def instant(value: dt.datetime) -> str:
    return value.astimezone(WARSAW).isoformat(timespec="seconds")


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _phone(value: str) -> list[dict]:
    return [{"system": "phone", "value": value}] if value else []


def organization(provider) -> dict:
    identifiers = []
    if provider.nip:
        identifiers.append({"system": codes.NIP, "value": provider.nip})
    if provider.regon:
        system = codes.REGON_14 if len(provider.regon) == 14 else codes.REGON_9
        identifiers.append({"system": system, "value": provider.regon})
    # The phone only: the provider's e-mail is often its admin's sign-in address.
    telecom = _phone(provider.phone)
    resource: dict[str, object] = {
        "resourceType": "Organization",
        "id": str(provider.pk),
        "active": True,
        "name": provider.name,
    }
    if identifiers:
        resource["identifier"] = identifiers
    if telecom:
        resource["telecom"] = telecom
    return resource


def address(location) -> dict:
    result = {
        "use": "work",
        "type": "physical",
        "line": [location.street],
        "city": location.city,
        "postalCode": location.postal_code,
        "country": "PL",
    }
    if location.voivodeship:
        result["state"] = VOIVODESHIPS[location.voivodeship]
    return result


def location(row, *, phone: str = "") -> dict:
    """A place where patients are seen; `phone` is the provider's (the number to book by)."""
    resource: dict[str, object] = {
        "resourceType": "Location",
        "id": str(row.pk),
        "status": "active",
        "name": row.name,
        "mode": "instance",
        "address": address(row),
        "managingOrganization": {"reference": f"Organization/{row.provider_id}"},
    }
    telecom = _phone(phone)
    if telecom:
        resource["telecom"] = telecom
    return resource


def healthcare_service(unit, department_name: str = "") -> dict:
    coding = {"system": codes.DEPARTMENT, "code": unit.department_code}
    if department_name:
        coding["display"] = department_name
    return {
        "resourceType": "HealthcareService",
        "id": str(unit.pk),
        "active": True,
        "name": unit.name,
        "providedBy": {"reference": f"Organization/{unit.provider_id}"},
        "location": [{"reference": f"Location/{unit.location_id}"}],
        "type": [{"coding": [coding], "text": unit.name}],
    }


def specialty(specializations) -> list[dict]:
    return [
        {"coding": [{"system": codes.SPECIALIZATION, "code": s.code, "display": s.name}], "text": s.name}
        for s in specializations
    ]


def practitioner(row) -> dict:
    name: dict[str, object] = {"use": "official", "family": row.last_name, "given": [row.first_name]}
    if row.title:
        name["prefix"] = [row.title]
    resource: dict[str, object] = {"resourceType": "Practitioner", "id": str(row.pk), "active": True, "name": [name]}
    if row.pwz:
        resource["identifier"] = [{"system": codes.NPWZ, "value": row.pwz}]
    return resource


def practitioner_role(row, *, specializations=(), phone: str = "") -> dict:
    """A practitioner working in a unit (a row of `Practitioner.units`): who, where, in what."""
    unit = row.unit
    resource: dict[str, object] = {
        "resourceType": "PractitionerRole",
        "id": str(row.pk),
        "active": True,
        "practitioner": {"reference": f"Practitioner/{row.practitioner_id}"},
        "organization": {"reference": f"Organization/{unit.provider_id}"},
        "location": [{"reference": f"Location/{unit.location_id}"}],
        "healthcareService": [{"reference": f"HealthcareService/{unit.pk}"}],
    }
    if specializations:
        resource["specialty"] = specialty(specializations)
    if phone:
        resource["telecom"] = _phone(phone)
    return resource


def schedule(row, *, specializations=(), phone: str = "", feed: bool = False) -> dict:
    """A practitioner's schedule in a unit. In the SMART feed its one actor is the Location
    (the feed carries no practitioners); in the API it names the practitioner, the location and
    the unit (HealthcareService)."""
    unit = row.unit
    actors = [{"reference": f"Location/{unit.location_id}"}]
    if not feed:
        actors = [
            {"reference": f"Practitioner/{row.practitioner_id}", "display": str(row.practitioner)},
            *actors,
            {"reference": f"HealthcareService/{row.unit_id}"},
        ]
    resource: dict[str, object] = {
        "resourceType": "Schedule",
        "id": str(row.pk),
        "active": True,
        "serviceType": [{"coding": [{"system": codes.DEPARTMENT, "code": unit.department_code}], "text": unit.name}],
        "actor": actors,
        "comment": f"{row.practitioner} – {unit.name}",
    }
    specialties = specialty(specializations)
    if specialties:
        resource["specialty"] = specialties
    horizon = {"start": row.valid_from.isoformat()}
    if row.valid_to is not None:
        horizon["end"] = row.valid_to.isoformat()
    resource["planningHorizon"] = horizon
    if phone:
        resource["extension"] = [{"url": codes.BOOKING_PHONE, "valueString": phone}]
    return resource


def booking_link(slot_id: int) -> str:
    return site_url(reverse("portal:book", args=[slot_id]))


def booking_link_format() -> str:
    """The booking page's URL with "{}" for the slot id (reversed once, not once per slot)."""
    return site_url(reverse("portal:book", args=[1_234_567_890])).replace("1234567890", "{}")


def slot(
    slot_id: int,
    schedule_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    status: str = "free",
    deep_link: bool = True,
    link_format: str | None = None,
) -> dict:
    resource: dict[str, object] = {
        "resourceType": "Slot",
        "id": str(slot_id),
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "status": status,
        "start": instant(start),
        "end": instant(end),
    }
    if deep_link and status == "free":
        link = link_format.format(slot_id) if link_format else booking_link(slot_id)
        resource["extension"] = [{"url": codes.BOOKING_DEEP_LINK, "valueUrl": link}]
    return resource


def slot_status(state: str, out_of_schedule: bool, hold_until: dt.datetime | None, now: dt.datetime) -> str:
    if out_of_schedule:
        return "busy-unavailable"
    if state == SlotState.HELD and hold_until is not None and hold_until < now:
        return "free"  # an expired hold is open again (`scheduling.search.open_q`)
    return SLOT_STATUS[SlotState(state)]


def operation_outcome(
    code: str, text: str, *, issue: str = "invalid", severity: str = "error", more: list[dict] | None = None
) -> dict:
    """An error as FHIR says: the issue type, our stable code and the message in Polish; `more`
    adds one issue per field ({"text", "expression"}), with the same code."""
    coding = [{"system": "urn:terminarz:blad", "code": code}]
    issues = [{"severity": severity, "code": issue, "details": {"coding": coding, "text": text}}]
    for extra in more or []:
        issues.append(
            {
                "severity": severity,
                "code": issue,
                "details": {"coding": coding, "text": extra["text"]},
                "expression": [extra["expression"]],
            }
        )
    return {"resourceType": "OperationOutcome", "issue": issues}


# -- a provider's own data, for its clinic system (bearer token) ----------------------------

GENDER = {"F": "female", "M": "male"}
APPOINTMENT_STATUS = {
    "held": "pending",
    "confirmed": "booked",
    "cancelled": "cancelled",
    "expired": "cancelled",
    "completed": "fulfilled",
    "no_show": "noshow",
}
# FHIR's status asked for → ours (a search by status).
STATUS_OF_FHIR: dict[str, list[str]] = {}
for _ours, _theirs in APPOINTMENT_STATUS.items():
    STATUS_OF_FHIR.setdefault(_theirs, []).append(_ours)
SUBJECT = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "SBJ"}],
}


def patient(row) -> dict:
    resource: dict[str, object] = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "active": True,
        "name": [{"use": "official", "family": row.last_name, "given": [row.first_name]}],
        "gender": GENDER.get(row.sex, "unknown"),
    }
    if row.pesel:
        resource["identifier"] = [{"use": "official", "system": codes.PESEL, "value": row.pesel}]
    telecom = _phone(row.phone)
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    if telecom:
        resource["telecom"] = telecom
    if row.birth_date:
        resource["birthDate"] = row.birth_date.isoformat()
    return resource


def appointment(row, *, department_name: str = "", patient_reference: bool = True, token: str = "") -> dict:
    """A visit. `patient_reference`: the patient as `Patient/<id>` (the provider's own system);
    without it the patient is only "the subject" (a public client that sent the data itself).
    `token`: the visit's secret, given once to the public client that booked it."""
    status = APPOINTMENT_STATUS[row.status]
    identifiers = [{"system": codes.BOOKING_REFERENCE, "value": row.reference}]
    if token:
        identifiers.append({"system": codes.APPOINTMENT_TOKEN, "value": token})
    subject: dict[str, object] = {"type": [SUBJECT], "status": "accepted"}
    if patient_reference and row.patient_id:
        subject["actor"] = {"reference": f"Patient/{row.patient_id}"}
    extensions: list[dict] = [{"url": codes.CHANNEL, "valueCode": row.source}]
    if row.status == "held" and row.hold_until:
        extensions.append({"url": codes.HOLD_UNTIL, "valueInstant": instant(row.hold_until)})
    resource: dict[str, object] = {
        "resourceType": "Appointment",
        "id": str(row.pk),
        "identifier": identifiers,
        "status": status,
        "start": instant(row.start),
        "end": instant(row.end),
        "slot": [{"reference": f"Slot/{row.slot_id}"}],
        "participant": [
            subject,
            {"actor": {"reference": f"Practitioner/{row.practitioner_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Location/{row.unit.location_id}"}, "status": "accepted"},
        ],
        "extension": extensions,
    }
    if row.unit.department_code:
        coding = {"system": codes.DEPARTMENT, "code": row.unit.department_code}
        if department_name:
            coding["display"] = department_name
        resource["serviceType"] = [{"coding": [coding]}]
    if status == "cancelled":
        reason = row.cancel_reason or ("czas na potwierdzenie minął" if row.status == "expired" else "")
        if reason:
            resource["cancelationReason"] = {"text": reason}
    if patient_reference and row.note:
        resource["comment"] = row.note
    return resource


def proposed(slot_row, *, department_name: str = "") -> dict:
    """`Appointment/$find`: an open slot as a proposed visit (Argonaut Scheduling)."""
    resource: dict[str, object] = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": instant(slot_row.start),
        "end": instant(slot_row.end),
        "slot": [{"reference": f"Slot/{slot_row.pk}"}],
        "participant": [
            {"actor": {"reference": f"Practitioner/{slot_row.practitioner_id}"}, "status": "needs-action"},
            {"actor": {"reference": f"Location/{slot_row.unit.location_id}"}, "status": "needs-action"},
        ],
    }
    if slot_row.unit.department_code:
        coding = {"system": codes.DEPARTMENT, "code": slot_row.unit.department_code}
        if department_name:
            coding["display"] = department_name
        resource["serviceType"] = [{"coding": [coding]}]
    return resource
