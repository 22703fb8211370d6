"""Issue 13 "must hold", in a real browser: the provider accepts the insurance terms and offers
cooperation to TU Zdrowie; the insurer accepts on its desk; the provider overrides a service,
signs and sends the price list and offers a schedule block to the payer; the insurer's agent
books an insured patient with a discount and a referral; the registrar sees the payer visit
with its note and sends a referral back; the agent sees it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.booking.models import Appointment, VisitService
from terminarz.factors.models import TOTPDevice
from terminarz.insurers import pricelists
from terminarz.insurers.models import InsurerMembership, PriceListPublication, Referral
from terminarz.providers.models import Membership
from terminarz.scheduling.models import Slot
from tests.browser.test_staff_two_factor import code_for
from tests.factories import VALID_PESEL, clinic, every_day, make_provider
from tests.insurers.helpers import PASSWORD, PDF, certificate, make_insurer, price_list_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 900}


def sign_in_clinic(page, url, username):
    page.goto(url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()


def sign_in_desk(page, url, username, device, step):
    page.goto(url + "/ubezpieczyciel/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_label("Kod").fill(code_for(device, offset_steps=step))
    page.get_by_role("button", name="Potwierdź").click()


def test_from_the_insurance_terms_to_a_payer_visit_and_a_referral_back(browser, live_server, ticking, tmp_path):
    provider = make_provider()
    user_model = get_user_model()
    admin = user_model.objects.create_user("szef", password="haslo-testowe-123")
    Membership.objects.create(user=admin, provider=provider, role="admin")
    registrar = user_model.objects.create_user("rejestracja", password="haslo-testowe-123")
    Membership.objects.create(user=registrar, provider=provider, role="registrar")
    tu = make_insurer()
    price_list_services(provider)  # Kardiologia: KONS-KARD, EKG; Dermatologia: KONS-DERM
    _, _unit, _practitioner, schedule = clinic(
        today=dt.date(2026, 11, 20),
        days=3,
        provider=provider,
        blocks=every_day(dt.time(8), dt.time(12), financing="private"),
    )
    insurer_admin = user_model.objects.create_user("tu-admin", password="haslo-testowe-123")
    InsurerMembership.objects.create(user=insurer_admin, insurer=tu, role="admin")
    admin_device = TOTPDevice.objects.create(user=insurer_admin, name="aplikacja", confirmed=True)
    agent = user_model.objects.create_user("tu-agent", password="haslo-testowe-123")
    InsurerMembership.objects.create(user=agent, insurer=tu, role="agent")
    agent_device = TOTPDevice.objects.create(user=agent, name="aplikacja", confirmed=True)
    p12 = tmp_path / "placowka.p12"
    p12.write_bytes(certificate())
    pdf = tmp_path / "rejestr.pdf"
    pdf.write_bytes(PDF)
    url = live_server.url

    clinic_ctx = browser.new_context(locale="pl-PL", viewport=LAPTOP)
    staff = clinic_ctx.new_page()
    sign_in_clinic(staff, url, "szef")
    # G1: the insurance service
    staff.goto(url + "/gabinet/ubezpieczenia/")
    staff.get_by_label("Potwierdzam poprawność danych").check()
    staff.get_by_label("Akceptuję regulamin").check()
    staff.get_by_role("button", name="Akceptuj").click()
    expect(staff.get_by_text("Regulamin został zaakceptowany")).to_be_visible()
    staff.get_by_label("Rejestracja on-line dla Ubezpieczycieli").check()
    staff.get_by_label("Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli").check()
    staff.get_by_role("button", name="Zapisz").click()
    # G2: the offer
    staff.get_by_role("link", name="TU Zdrowie", exact=True).click()
    staff.get_by_role("link", name="Regulaminy", exact=True).click()
    staff.get_by_label("rozumiem i zgadzam się z treścią regulaminu").check()
    staff.get_by_role("button", name="Potwierdź znajomość regulaminu").click()
    staff.get_by_label("Data rozpoczęcia współpracy").fill("2026-12-01")
    staff.get_by_label("Numer konta bankowego").fill("PL61 1090 1014 0000 0712 1981 2874")
    staff.get_by_label("Osoba do kontaktu", exact=True).fill("Anna Kowalska")
    staff.get_by_label("E-mail osoby do kontaktu").fill("anna@example.com")
    staff.get_by_role("button", name="Zapisz parametry").click()
    staff.get_by_label("Plik (PDF lub JPG, najwyżej 10 MB)").set_input_files(str(pdf))
    staff.get_by_role("button", name="Dodaj").click()
    expect(staff.get_by_text("Dodano dokument.")).to_be_visible()
    staff.get_by_role("link", name="Informacje").click()
    staff.get_by_role("button", name="Wyślij ofertę współpracy").click()
    expect(staff.get_by_text("Wysłano ofertę współpracy")).to_be_visible()

    # the insurer accepts on its desk
    desk_ctx = browser.new_context(locale="pl-PL", viewport=LAPTOP)
    desk = desk_ctx.new_page()
    sign_in_desk(desk, url, "tu-admin", admin_device, 0)
    desk.get_by_role("link", name=f"Rozpatrz – {provider.name}").click()
    desk.get_by_label("Akceptuj").check()
    desk.get_by_role("button", name="Zapisz decyzję").click()
    expect(desk.get_by_text("Oferta zaakceptowana")).to_be_visible()

    # G5: override, certificate, sign and send
    staff.goto(url + "/gabinet/platnicy/")
    staff.get_by_role("link", name="Cennik płatnika – TU Zdrowie").click()
    staff.get_by_role("link", name="Usługi – Kardiologia").click()
    staff.get_by_role("button", name="Nadpisz – Konsultacja kardiologiczna").click()
    expect(staff.get_by_text("Nadpisano usługę KONS-KARD")).to_be_visible()
    staff.goto(url + "/gabinet/platnicy/")
    staff.get_by_label("Plik certyfikatu (.p12 lub .pfx)").set_input_files(str(p12))
    staff.get_by_label("Hasło do pliku certyfikatu").fill(PASSWORD)
    staff.get_by_role("button", name="Dodaj certyfikat").click()
    expect(staff.get_by_text("Dodano certyfikat")).to_be_visible()
    staff.get_by_role("link", name="Cennik płatnika – TU Zdrowie").click()
    staff.get_by_label("Hasło do certyfikatu").fill(PASSWORD)
    staff.get_by_role("button", name="Podpisz i wyślij cennik").click()
    expect(staff.get_by_text("Cennik został podpisany i wysłany do TU Zdrowie (1 usługa).")).to_be_visible()
    publication = PriceListPublication.objects.get()
    pricelists.verify(publication.document, publication.certificate.certificate_pem)
    # G6: the schedule block for the payer
    staff.goto(url + f"/gabinet/harmonogramy/{schedule.pk}/")
    first_block = staff.locator("#blok-1")
    first_block.get_by_label("TU Zdrowie").check()
    first_block.get_by_label("Kardiologia").check()
    staff.get_by_role("button", name="Zapisz i wygeneruj terminy").click()
    expect(staff.get_by_text("Zapisano harmonogram.")).to_be_visible()

    # the agent books an insured patient with a discount and a referral
    agent_ctx = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844})
    booker = agent_ctx.new_page()
    sign_in_desk(booker, url, "tu-agent", agent_device, 0)
    booker.get_by_role("link", name="Umów wizytę").first.click()
    booker.get_by_label("Miejscowość").fill("Kraków")
    booker.get_by_role("button", name="Szukaj terminów").click()
    booker.get_by_role("link", name="Umów –").first.click()
    booker.get_by_label("Imię").fill("Jan")
    booker.get_by_label("Nazwisko").fill("Ubezpieczony")
    booker.get_by_label("PESEL").fill(VALID_PESEL)
    booker.get_by_label("E-mail pacjenta").fill("jan@example.com")
    booker.get_by_label("Usługa").select_option(label="Konsultacja kardiologiczna – 220.00 zł")
    booker.get_by_label("Zniżka dla pacjenta (%)").fill("50")
    booker.get_by_label("Numer skierowania").fill("SK/2026/7")
    booker.get_by_label("Data wystawienia skierowania").fill("2026-11-19")
    booker.get_by_label("Data ważności skierowania").fill("2026-12-19")
    booker.get_by_role("button", name="Umów wizytę").click()
    expect(booker.get_by_text("Umówiono wizytę")).to_be_visible()
    appointment = Appointment.objects.get(source="payer")
    line = VisitService.objects.get(appointment=appointment)
    assert (line.payer_amount, line.patient_amount) == (Decimal("110.00"), Decimal("110.00"))

    # the registrar sees the payer visit and sends a referral back
    registrar_ctx = browser.new_context(locale="pl-PL", viewport=LAPTOP)
    desk_staff = registrar_ctx.new_page()
    sign_in_clinic(desk_staff, url, "rejestracja")
    desk_staff.goto(url + f"/gabinet/wizyty/{appointment.pk}/")
    expect(desk_staff.get_by_text("Konsultacja kardiologiczna: 220.00 zł - zniżka: 50%")).to_be_visible()
    expect(desk_staff.get_by_text("SK/2026/7")).to_be_visible()
    desk_staff.locator("summary", has_text="Skierowanie wysyłane").click()
    desk_staff.get_by_label("Data wystawienia").fill("2026-11-20")
    desk_staff.get_by_label("Data ważności").fill("2026-12-20")
    desk_staff.get_by_label("Usługa z cennika płatnika").select_option(label="Konsultacja kardiologiczna")
    desk_staff.get_by_role("button", name="Wyślij skierowanie").click()
    expect(desk_staff.get_by_text("Skierowanie zostało wysłane do ubezpieczyciela.")).to_be_visible()

    # the agent sees it
    booker.get_by_role("link", name="Wizyty", exact=True).click()
    booker.get_by_role(
        "link", name=appointment.start.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%d.%m.%Y %H:%M")
    ).click()
    expect(booker.get_by_text("od placówki")).to_be_visible()
    assert Referral.objects.filter(appointment=appointment).count() == 2
    assert Slot.objects.filter(schedule=schedule, block__payers__isnull=False).exists()
    for context in (clinic_ctx, desk_ctx, agent_ctx, registrar_ctx):
        context.close()
