"""E5 panel: vaccinations done and planned, recommendations of finished visits (linked to the
visit), prescriptions ordered and issued, and searching the documents."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.models import Appointment, AppointmentStatus
from terminarz.records.models import PrescriptionRequest, SharedDocument
from tests.clinic.test_access import make_user
from tests.records.test_patient_records import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def share(client, patient_id, **data):
    return client.post(reverse("clinic:share-document", args=[patient_id]), {"date": "2026-11-20", **data}, follow=True)


@pytest.fixture
def staff(client, world):  # noqa: F811
    Appointment.objects.filter(pk=world["visit"].pk).update(status=AppointmentStatus.COMPLETED)
    client.force_login(make_user("rachel", world["provider"], "registrar"))
    return world["visit"].patient_id


def as_patient(client, world):  # noqa: F811
    client.force_login(world["user"], backend="django.contrib.auth.backends.ModelBackend")


def test_vaccinations_done_and_planned_are_listed_apart(client, world, staff):  # noqa: F811
    share(client, staff, kind="vaccination", title="Grypa 2026/27", text="Vaxigrip")
    share(client, staff, kind="vaccination", title="Tężec – dawka przypominająca", text="Td", planned="on")
    refused = share(client, staff, kind="referral", title="Skierowanie", text="EKG", planned="on")
    assert "Zaplanowane może być tylko szczepienie." in refused.content.decode()
    as_patient(client, world)
    page = client.get(reverse("account-documents")).content.decode()
    done_at, planned_at = page.index("Szczepienia wykonane"), page.index("Szczepienia zaplanowane")
    assert done_at < page.index("Grypa 2026/27") < planned_at < page.index("Tężec – dawka przypominająca")


def test_recommendations_name_their_finished_visit(client, world, staff):  # noqa: F811
    missing = share(client, staff, kind="recommendation", title="Zalecenia", text="Dieta")
    assert "Wybierz zakończoną wizytę, której dotyczą zalecenia." in missing.content.decode()
    visit = world["visit"].pk
    share(client, staff, kind="recommendation", title="Zalecenia po wizycie", text="Dieta", appointment=visit)
    doc = SharedDocument.objects.get(kind="recommendation")
    assert doc.appointment == world["visit"]
    as_patient(client, world)
    page = client.get(reverse("account-documents")).content.decode()
    assert f"Z wizyty 20 listopada 2026, 10:15 ({world['practitioner'].full_name})" in page  # local time


def test_a_visit_not_finished_is_not_offered(client, world, staff):  # noqa: F811
    Appointment.objects.filter(pk=world["visit"].pk).update(status=AppointmentStatus.CONFIRMED)
    response = share(client, staff, kind="recommendation", title="Z", text="Z", appointment=world["visit"].pk)
    assert "Wybierz poprawną wartość." in response.content.decode()
    assert not SharedDocument.objects.exists()


def test_prescriptions_ordered_and_issued(client, world, staff, frozen):  # noqa: F811
    share(client, staff, kind="prescription", title="Recepta – kod 1234", text="Bisocard 5 mg")
    as_patient(client, world)
    frozen.move_to(world["visit"].end + dt.timedelta(hours=1))
    client.post(reverse("account-prescriptions"), {"visit": world["visit"].pk, "medicines": "Polpril 5 mg"})
    client.post(reverse("account-prescriptions"), {"visit": world["visit"].pk, "medicines": "Atoris 10 mg"})
    PrescriptionRequest.objects.filter(medicines="Atoris 10 mg").update(
        status=PrescriptionRequest.Status.ISSUED, answer="Kod recepty: 4321", handled_at=world["visit"].end
    )
    page = client.get(reverse("account-prescriptions")).content.decode()
    issued, ordered = page.index("Recepty wystawione"), page.index("Recepty zamówione")
    assert issued < page.index("Recepta – kod 1234") < ordered
    assert issued < page.index("Kod recepty: 4321") < ordered
    assert ordered < page.index("Polpril 5 mg")
    assert "Recepta – kod 1234" not in client.get(reverse("account-documents")).content.decode()


def test_search_in_documents_by_words_and_kind(client, world, staff):  # noqa: F811
    share(client, staff, kind="vaccination", title="Grypa 2026/27", text="Vaxigrip")
    share(client, staff, kind="document", title="Wyniki badań", text="Morfologia krwi w normie")
    share(client, staff, kind="referral", title="Skierowanie na morfologię", text="pilne")
    as_patient(client, world)
    url = reverse("account-documents")
    found = client.get(url, {"q": "morfolog"}).content.decode()
    assert "Wyniki badań" in found and "Skierowanie na morfologię" in found and "Grypa" not in found
    by_kind = client.get(url, {"q": "morfolog", "kind": "referral"}).content.decode()
    assert "Skierowanie na morfologię" in by_kind and "Wyniki badań" not in by_kind
    nothing = client.get(url, {"q": "rezonans"}).content.decode()
    assert "Nic nie znaleźliśmy." in nothing
    bad = client.get(url, {"kind": "hack"})
    assert bad.status_code == 422
