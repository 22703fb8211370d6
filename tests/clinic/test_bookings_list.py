"""Bookings list (F5): filters, export, permissions, tenancy and a bounded number of queries."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terminarz.booking.services import book_appointment, book_for_patient, cancel_appointment_by_clinic
from terminarz.core.models import AuditEntry
from terminarz.patients.services import match_or_create_patient
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings(today, client):
    provider, _, _, schedule = clinic(today=today, days=2)
    provider_b, _, _, schedule_b = clinic(today=today, days=1)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")[:12])
    rachel = make_user("rachel", provider, "registrar")
    patient = match_or_create_patient(
        provider, first_name="=HYPERLINK(1)", last_name="Zbrojny", email="", phone="", pesel=""
    )
    online = [book_appointment(s.pk, {**PATIENT, "last_name": f"Online{i}"}) for i, s in enumerate(slots[:8])]
    desk = [book_for_patient(s.pk, patient, actor=rachel) for s in slots[8:11]]
    cancel_appointment_by_clinic(online[0], actor=rachel, reason="choroba")
    slot_b = Slot.objects.filter(schedule=schedule_b, start__gt=FROZEN_NOW).first()
    book_appointment(slot_b.pk, {**PATIENT, "last_name": "ObcyPacjent"})
    client.force_login(rachel)
    return {"provider": provider, "online": online, "desk": desk, "rachel": rachel}


def test_list_is_scoped_and_filters_by_source_status_and_who(client, bookings):
    html = client.get(reverse("clinic:bookings")).content.decode()
    assert "Online3" in html and "ObcyPacjent" not in html
    online = client.get(reverse("clinic:bookings"), {"source": "online"}).content.decode()
    assert "Online3" in online and "Zbrojny" not in online
    desk = client.get(reverse("clinic:bookings"), {"booked_by": bookings["rachel"].pk}).content.decode()
    assert "Zbrojny" in desk and "Online3" not in desk
    cancelled = client.get(reverse("clinic:bookings"), {"status": "cancelled"}).content.decode()
    assert "Online0" in cancelled and "Online3" not in cancelled and "choroba" in cancelled


def test_bad_filter_shows_polish_error(client, bookings):
    html = client.get(reverse("clinic:bookings"), {"date_from": "2026-12-10", "date_to": "2026-12-01"}).content.decode()
    assert "Data końcowa nie może być wcześniejsza niż początkowa." in html


def test_list_query_count_does_not_grow_with_rows(client, bookings, django_assert_max_num_queries):
    # 15: one lists the provider's insurer payers for "Płatnik", one its staff for "Pracownik
    # odwołujący"; the second-factor check looks at each kind of factor (app, e-mail, SMS)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("clinic:bookings")).status_code == 200


def test_csv_and_xlsx_export_the_filtered_list_safely(client, bookings):
    response = client.get(reverse("clinic:bookings-export", args=["csv"]), {"source": "desk"})
    assert response["Content-Disposition"].endswith('rezerwacje.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Numer" and len(rows) == 1 + 3
    assert all(r[4] == "'=HYPERLINK(1) Zbrojny" for r in rows[1:])  # no formula injection
    xlsx = client.get(reverse("clinic:bookings-export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 11
    assert AuditEntry.objects.filter(action="bookings.exported", provider=bookings["provider"]).count() == 2


@pytest.mark.parametrize("fmt", ["foo", "CSV", "xls", "csv.exe", "html", ""])
def test_export_answers_only_csv_and_xlsx(client, bookings, fmt):
    response = client.get(f"/gabinet/rezerwacje/eksport.{fmt}")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="bookings.exported").exists() is False


def test_export_needs_its_permission(client, bookings):
    client.force_login(make_user("paul", bookings["provider"], "practitioner"))
    assert client.get(reverse("clinic:bookings-export", args=["csv"])).status_code == 403


def test_filter_by_the_staff_member_who_cancelled_and_who_when_column(client, bookings):
    """F5 (seed 001 §6.2): "Pracownik odwołujący" and "Kto i kiedy odwołał"."""
    from terminarz.booking.services import cancel_appointment_by_patient

    olga = make_user("olga", bookings["provider"], "registrar")
    cancel_appointment_by_clinic(bookings["online"][1], actor=olga, reason="urlop lekarza")
    patient_side = bookings["online"][2]
    cancel_appointment_by_patient(patient_side.pk, patient_side.cancel_token)
    by_rachel = client.get(reverse("clinic:bookings"), {"cancelled_by": bookings["rachel"].pk}).content.decode()
    assert "Online0" in by_rachel and "Online1" not in by_rachel and "Online2" not in by_rachel
    by_olga = client.get(reverse("clinic:bookings"), {"cancelled_by": olga.pk}).content.decode()
    assert "Online1" in by_olga and "Online0" not in by_olga
    everything = client.get(reverse("clinic:bookings"), {"status": "cancelled"}).content.decode()
    assert "<td>rachel, 20.11.2026 10:00 · choroba</td>" in everything
    assert "<td>olga, 20.11.2026 10:00 · urlop lekarza</td>" in everything
    assert "<td>pacjent, 20.11.2026 10:00</td>" in everything
    export = client.get(reverse("clinic:bookings-export", args=["csv"]), {"status": "cancelled"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    who = {row[4]: row[10] for row in rows[1:]}
    assert rows[0][10] == "Odwołał(a)"
    assert who == {"Jan Online0": "rachel", "Jan Online1": "olga", "Jan Online2": "pacjent"}
