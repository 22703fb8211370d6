from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from terminarz.booking.models import Appointment, VisitNote, VisitService
from terminarz.core.models import PeriodicRun
from terminarz.core.periodic import JOBS, enqueue_due_jobs
from terminarz.providers.models import OpeningHours, Provider
from terminarz.scheduling.models import Schedule, ScheduleBlock, Slot
from terminarz.staff.models import Practitioner
from terminarz.staff.pwz import is_valid_pwz, make_pwz

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_covers_the_block_options(frozen):
    call_command("seed_demo", stdout=StringIO())
    counts = (Provider.objects.count(), Practitioner.objects.count(), Slot.objects.count(), Appointment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        Provider.objects.count(),
        Practitioner.objects.count(),
        Slot.objects.count(),
        Appointment.objects.count(),
    )
    # the two demo providers and the one the operator approved in the demo (A1)
    assert sorted(Provider.objects.values_list("slug", flat=True)) == [
        "centrum-medyczne-vita",
        "gabinet-stomatologiczny-usmiech",
        "przychodnia-demo",
    ]
    demo = Provider.objects.get(slug="przychodnia-demo")
    assert list(demo.locations.values_list("status", flat=True)) == ["approved", "approved", "pending"]  # A5
    assert demo.units.count() == 4 and demo.practitioners.count() == 8
    blocks = ScheduleBlock.objects.filter(schedule__provider=demo)
    assert blocks.filter(first_visit_only=True).exists()
    assert blocks.filter(callcenter_only=True).exists()
    assert blocks.filter(first_free_only=True).exists()
    assert blocks.filter(financing="nfz").exists() and blocks.filter(financing="private").exists()
    assert all(is_valid_pwz(p.pwz) for p in Practitioner.objects.filter(staff_type="doctor"))
    assert Slot.objects.filter(provider=demo).count() > 3000
    # Every back-office screen has content: visits (one cancelled), services, notes, rooms, hours.
    assert Appointment.objects.filter(provider=demo).count() >= 10
    assert Appointment.objects.filter(provider=demo, status="cancelled").exists()
    assert VisitService.objects.exists() and VisitNote.objects.exists()
    assert demo.services.count() >= 5 and demo.rooms.count() >= 3
    assert OpeningHours.objects.filter(unit__provider=demo).exists()
    assert blocks.filter(televisit="possible").exists()
    # Patient-side screens (issue 4): the demo account's visits, a dependent, documents, requests.
    from terminarz.records.models import PrescriptionRequest, RodoRequest, SharedDocument
    from terminarz.waiting.models import QueueEntry, WaitlistEntry

    patient = get_user_model().objects.get(email="pacjent@example.com")
    assert Appointment.objects.filter(account=patient).exists()
    assert Appointment.objects.filter(account__patient_profile__guardian=patient).exists()
    assert SharedDocument.objects.exists() and PrescriptionRequest.objects.exists() and RodoRequest.objects.exists()
    assert QueueEntry.objects.filter(category="urgent").exists() and WaitlistEntry.objects.exists()


def test_seed_demo_scales_practitioners_for_benchmarks(frozen):
    call_command("seed_demo", scale=2, stdout=StringIO())
    demo = Provider.objects.get(slug="przychodnia-demo")
    assert demo.practitioners.count() == 16
    booked = Slot.objects.filter(provider=demo, state="booked").count()
    assert booked > 50


def test_generate_load_data_makes_the_asked_volume(frozen):
    call_command("generate_load_data", providers=2, practitioners=10, days=7, stdout=StringIO())
    assert Practitioner.objects.count() == 10
    assert Schedule.objects.count() == 10
    assert Slot.objects.count() > 10 * 7 * 3  # at least some slots per practitioner-day with blocks


def test_pwz_check_digit():
    assert is_valid_pwz("5425740")  # a published example number
    assert not is_valid_pwz("5425741")
    assert not is_valid_pwz("0425740")
    assert all(is_valid_pwz(make_pwz(n)) for n in range(1000, 1100))


def test_periodic_jobs_are_enqueued_once_per_interval(frozen):
    started = enqueue_due_jobs()
    assert sorted(started) == sorted(name for name, _, _ in JOBS)
    assert enqueue_due_jobs() == []
    import datetime as dt

    frozen.shift(dt.timedelta(seconds=61))
    assert sorted(enqueue_due_jobs()) == ["deliver_due_messages", "expire_holds", "expire_unpaid", "webhook_deliveries"]
    assert PeriodicRun.objects.count() == len(JOBS)


def test_seed_demo_has_applications_in_every_status_and_the_operator_login(frozen):
    from django.contrib.auth import get_user_model

    from terminarz.demo.onboarding import OPERATOR_LOGIN
    from terminarz.factors.models import EmailDevice
    from terminarz.onboarding.models import ProviderApplication, RegistryFacility

    call_command("seed_demo", stdout=StringIO())
    statuses = sorted(ProviderApplication.objects.values_list("status", flat=True))
    assert statuses == ["approved", "cancelled", "rejected", "submitted", "submitted"]
    operator = get_user_model().objects.get(username=OPERATOR_LOGIN[0])
    assert (operator.check_password(OPERATOR_LOGIN[1]), operator.is_staff, operator.is_superuser) == (True, True, False)
    assert EmailDevice.objects.filter(user=operator, confirmed=True).count() == 1
    free = RegistryFacility.objects.get(nip="5261041236")  # the NIP the demo printout suggests
    assert (free.name, free.provider_id) == ("Poradnia Rodzinna Słoneczna", None)


def test_the_demo_clinic_system_gets_a_token_and_reads_its_visits(client, frozen):
    import base64
    import json

    call_command("seed_demo", stdout=StringIO())
    raw = base64.b64encode(b"tz_00000000000000000000de01:demo-integracja").decode()
    response = client.post(
        "/fhir/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {raw}",
    )
    token = json.loads(response.content)["access_token"]
    bundle = json.loads(
        client.get("/fhir/r4/Appointment", {"_count": "500"}, HTTP_AUTHORIZATION=f"Bearer {token}").content
    )
    demo = Provider.objects.get(slug="przychodnia-demo")
    visits = Appointment.unscoped.filter(provider=demo).order_by("start", "pk").values_list("pk", flat=True)
    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [str(pk) for pk in visits]
    assert len(visits) == 20  # the demo's own bookings at Przychodnia Demo
