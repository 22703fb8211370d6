"""G4, G5 in the back-office: Płatnicy i cenniki – the import, a payer's groups with the tabs
"Usługi nienadpisane" / "Usługi nadpisane", the XLSX export, the certificate and "Podpisz i
wyślij cennik"; the services dictionary with groups, validity and the CSV export. Another
provider's ids answer 404; a registrar has none of it."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import PayerService, Service, ServiceGroup
from terminarz.core.models import AuditEntry
from terminarz.insurers import pricelists
from terminarz.insurers.models import PriceListPublication
from tests.clinic.test_access import make_user
from tests.factories import make_provider
from tests.insurers.helpers import PASSWORD, cooperate, make_insurer, p12_upload, payer_of, price_list_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    admin = make_user("ada", provider, "admin")
    insurer = make_insurer()
    cooperate(provider, insurer, admin)
    svc = price_list_services(provider)
    client.force_login(admin)
    return provider, payer_of(provider, insurer), svc, admin


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_the_payer_list_shows_patient_nfz_and_the_insurer(client, office):
    provider, payer, _svc, _admin = office
    page = client.get(reverse("clinic:payers"))
    html = page.content.decode()
    assert page.status_code == 200
    assert [p.name for p, _state in page.context["rows"]] == ["TU Zdrowie"]
    assert "Cennik ogólny" in html and "NFZ" in html and "cennik pusty" in html
    response = client.post(reverse("clinic:payers-import"), follow=True)
    assert messages_of(response) == ["Zaimportowano 1 płatnika: dodano 0, zaktualizowano 0, usunięto 0."]


def test_override_from_the_group_tab_and_take_it_back(client, office):
    provider, payer, svc, _admin = office
    kard = svc["EKG"].group
    not_overridden = client.get(reverse("clinic:payer-group", args=[payer.pk, kard.pk]))
    assert [s.code for s, _row in not_overridden.context["rows"]] == ["EKG", "KONS-KARD"]
    response = client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]), follow=True)
    assert messages_of(response) == ["Nadpisano usługę EKG do cennika płatnika – pamiętaj o wysłaniu cennika."]
    assert [s.code for s, _row in response.context["rows"]] == ["KONS-KARD"]
    overridden = client.get(reverse("clinic:payer-group-tab", args=[payer.pk, kard.pk, "nadpisane"]))
    row = PayerService.objects.get(payer=payer, service=svc["EKG"])
    assert [(s.code, r.pk) for s, r in overridden.context["rows"]] == [("EKG", row.pk)]
    back = client.post(
        reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]), {"action": "remove"}, follow=True
    )
    assert messages_of(back) == ["Usunięto usługę EKG z cennika płatnika."]
    assert PayerService.objects.filter(payer=payer).count() == 0


def test_the_xlsx_export_shows_ids_and_only_the_overridden_prices(client, office):
    provider, payer, svc, admin = office
    client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]))
    row = PayerService.objects.get(payer=payer)
    export = client.get(reverse("clinic:payer-export", args=[payer.pk]))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows == [
        ("Grupa", "Kod", "Nazwa usługi", "Id usługi nadpisanej", "Id usługi bazowej", "Cena brutto (zł)", "Stawka VAT"),
        ("Dermatologia", "KONS-DERM", "Konsultacja dermatologiczna", None, None, None, None),
        ("Kardiologia", "EKG", "EKG spoczynkowe", row.pk, svc["EKG"].pk, 60, "zw."),
        ("Kardiologia", "KONS-KARD", "Konsultacja kardiologiczna", None, None, None, None),
    ]


def test_certificate_then_sign_and_send_then_download_the_signed_document(client, office):
    provider, payer, svc, _admin = office
    client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]))
    bad = client.post(reverse("clinic:certificate-upload"), {"file": p12_upload(), "password": "zle"})
    assert bad.status_code == 422
    assert bad.context["certificate_form"].errors == {
        "password": ["Nie udało się otworzyć pliku certyfikatu – sprawdź hasło i czy to plik PKCS#12 (.p12, .pfx)."]
    }
    ok = client.post(reverse("clinic:certificate-upload"), {"file": p12_upload(), "password": PASSWORD}, follow=True)
    assert messages_of(ok) == ["Dodano certyfikat: CN=Przychodnia Testowa,O=Przychodnia Testowa,C=PL."]
    wrong = client.post(reverse("clinic:payer", args=[payer.pk]), {"password": "zle"})
    assert wrong.status_code == 422
    assert PriceListPublication.objects.count() == 0
    empty = client.post(reverse("clinic:payer", args=[payer.pk]), {"password": ""})
    assert empty.context["sign_form"].errors == {"password": ["Podaj hasło do certyfikatu, aby podpisać cennik."]}
    sent = client.post(reverse("clinic:payer", args=[payer.pk]), {"password": PASSWORD}, follow=True)
    assert messages_of(sent) == ["Cennik został podpisany i wysłany do TU Zdrowie (1 usługa)."]
    publication = PriceListPublication.objects.get()
    document = client.get(reverse("clinic:payer-publication", args=[payer.pk, publication.pk]))
    assert document["Content-Type"] == "application/xml; charset=utf-8"
    content = pricelists.verify(document.content.decode(), publication.certificate.certificate_pem)
    assert [u.get("kod") for u in content.iter(f"{{{pricelists.NAMESPACE}}}Usluga")] == ["EKG"]
    page = client.get(reverse("clinic:payers")).content.decode()
    assert "wysłany 20.11.2026 10:00" in page


def test_a_changed_base_price_shows_unsent_changes(client, office):
    provider, payer, svc, admin = office
    client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]))
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=admin)
    pricelists.publish(payer, password=PASSWORD, actor=admin)
    client.post(
        reverse("clinic:service", args=[svc["EKG"].pk]),
        {
            "group": svc["EKG"].group_id,
            "code": "EKG",
            "name": "EKG spoczynkowe",
            "price": "70.00",
            "vat_rate": "zw",
            "is_active": "on",
        },
    )
    assert Service.objects.get(pk=svc["EKG"].pk).price == Decimal("70.00")
    page = client.get(reverse("clinic:payer", args=[payer.pk])).content.decode()
    assert "niewysłane zmiany" in page and "Wyślij cennik ponownie" in page


def test_another_providers_payer_group_service_and_document_are_404(client, office):
    provider, payer, svc, admin = office
    other = make_provider()
    other_admin = make_user("ola", other, "admin")
    other_insurer = make_insurer("ump", "UMP", nip="")
    cooperate(other, other_insurer, other_admin)
    other_payer = payer_of(other, other_insurer)
    other_svc = price_list_services(other)
    pricelists.upload_certificate(other.pk, upload=p12_upload(), password=PASSWORD, actor=other_admin)
    catalog_pricelists.override(other_payer, other_svc["EKG"], actor=other_admin)
    other_pub = pricelists.publish(other_payer, password=PASSWORD, actor=other_admin)
    probes = [
        ("get", reverse("clinic:payer", args=[other_payer.pk])),
        ("post", reverse("clinic:payer", args=[other_payer.pk])),
        ("get", reverse("clinic:payer-export", args=[other_payer.pk])),
        ("get", reverse("clinic:payer-group", args=[other_payer.pk, other_svc["EKG"].group_id])),
        ("get", reverse("clinic:payer-group", args=[payer.pk, other_svc["EKG"].group_id])),
        ("post", reverse("clinic:payer-override", args=[payer.pk, other_svc["EKG"].pk])),
        ("post", reverse("clinic:payer-override", args=[other_payer.pk, svc["EKG"].pk])),
        ("get", reverse("clinic:payer-publication", args=[other_payer.pk, other_pub.pk])),
        ("get", reverse("clinic:payer-publication", args=[payer.pk, other_pub.pk])),
        ("get", reverse("clinic:service-group", args=[other_svc["EKG"].group_id])),
    ]
    for method, url in probes:
        assert getattr(client, method)(url, {"password": PASSWORD} if method == "post" else None).status_code == 404, (
            url
        )
    assert PayerService.objects.filter(payer=payer).count() == 0
    assert PriceListPublication.objects.count() == 1


def test_a_registrar_has_no_payers_and_finance_cannot_sign(client, office):
    provider, payer, svc, admin = office
    client.force_login(make_user("rej", provider, "registrar"))
    assert client.get(reverse("clinic:payers")).status_code == 403
    assert client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk])).status_code == 403
    finance = make_user("fin", provider, "finance")
    client.force_login(finance)
    client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]))
    assert PayerService.objects.filter(payer=payer).count() == 1
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=admin)
    assert client.post(reverse("clinic:payer", args=[payer.pk]), {"password": PASSWORD}).status_code == 403
    assert (
        client.post(reverse("clinic:certificate-upload"), {"file": p12_upload(), "password": PASSWORD}).status_code
        == 403
    )
    assert PriceListPublication.objects.count() == 0


def test_services_with_groups_validity_and_the_csv_export(client, office):
    provider, _payer, svc, _admin = office
    group = client.post(reverse("clinic:service-groups"), {"code": "REH", "name": "Rehabilitacja"}, follow=True)
    assert messages_of(group) == ["Zapisano grupę Rehabilitacja."]
    reh = ServiceGroup.objects.get(provider=provider, code="REH")
    duplicate = client.post(reverse("clinic:service-groups"), {"code": "reh", "name": "Inna"})
    assert duplicate.context["form"].errors == {"code": ["Grupa o tym kodzie już istnieje."]}
    base = {"group": reh.pk, "code": "KINEZ", "name": "Kinezyterapia", "vat_rate": "zw", "is_active": "on"}
    too_precise = client.post(reverse("clinic:services"), {**base, "price": "99.999"})
    assert too_precise.context["form"].errors == {
        "price": ["Upewnij się, że liczba ma nie więcej niż 2 cyfry po przecinku."]
    }
    backwards = client.post(
        reverse("clinic:services"), {**base, "price": "99", "valid_from": "2026-12-10", "valid_to": "2026-12-01"}
    )
    assert backwards.context["form"].errors == {
        "valid_to": ["Data „ważna do” nie może być wcześniejsza niż „ważna od”."]
    }
    assert Service.objects.filter(provider=provider, code="KINEZ").count() == 0
    saved = client.post(
        reverse("clinic:services"), {**base, "price": "99.50", "self_service": "on", "valid_from": "2026-12-01"}
    )
    assert saved.status_code == 302
    export = client.get(reverse("clinic:services-export"))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Kod grupy",
        "Grupa",
        "Kod własny",
        "Nazwa usługi",
        "Kanały self service",
        "Cena brutto (zł)",
        "Stawka VAT",
        "Aktywna",
    ]
    assert rows[1:] == [
        ["DERM", "Dermatologia", "KONS-DERM", "Konsultacja dermatologiczna", "nie", "200,00", "zw.", "tak"],
        ["KARD", "Kardiologia", "EKG", "EKG spoczynkowe", "nie", "60,00", "zw.", "tak"],
        ["KARD", "Kardiologia", "KONS-KARD", "Konsultacja kardiologiczna", "nie", "220,00", "zw.", "tak"],
        ["REH", "Rehabilitacja", "KINEZ", "Kinezyterapia", "tak", "99,50", "zw.", "tak"],
    ]
    assert AuditEntry.objects.filter(provider_id=provider.pk, action="service_group.created").count() == 1


def test_exports_do_not_let_a_spreadsheet_run_a_name_as_a_formula(client, office):
    provider, payer, svc, _admin = office
    Service.objects.filter(pk=svc["EKG"].pk).update(name='=HYPERLINK("http://zly.example/","klik")')
    client.post(reverse("clinic:payer-override", args=[payer.pk, svc["EKG"].pk]))
    sheet = load_workbook(io.BytesIO(client.get(reverse("clinic:payer-export", args=[payer.pk])).content)).active
    cell = sheet["C3"]
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://zly.example/","klik")', "s")
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("clinic:services-export")).content.decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[2][3] == '\'=HYPERLINK("http://zly.example/","klik")'


def test_control_characters_in_names_and_codes_are_refused(client, office):
    provider, _payer, svc, _admin = office
    base = {"code": "KINEZ", "name": "Kinezy\x01terapia", "price": "10", "vat_rate": "zw", "is_active": "on"}
    response = client.post(reverse("clinic:services"), base)
    assert response.context["form"].errors == {"name": ["Usuń znaki sterujące (np. tabulację) z tego pola."]}
    group = client.post(reverse("clinic:service-groups"), {"code": "R\x02", "name": "Rehabilitacja"})
    assert group.context["form"].errors == {"code": ["Usuń znaki sterujące (np. tabulację) z tego pola."]}
    assert Service.objects.filter(provider=provider, code="KINEZ").count() == 0
