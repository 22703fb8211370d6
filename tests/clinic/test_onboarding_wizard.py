"""A1 as the applicant sees it at /gabinet/uzyskaj-dostep/: the welcome page, the search by
one number (validated with the Polish check digits), "Wybierz" or "Wypełnij wniosek o
przystąpienie", the data step with the RPWDL extract, "Wstecz" keeping what was typed, the
terms ("Pobierz regulamin" as a PDF), "Wyślij wniosek" (repeated: the same application), the
status page behind a secret link, and the e-mailed link that sets the admin's password."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from terminarz.onboarding import services
from terminarz.onboarding.models import ApplicationStatus, PasswordLink, ProviderApplication, RegistryFacility
from tests.factories import make_provider
from tests.onboarding.helpers import application_data, extract, facility, valid_nip

pytestmark = pytest.mark.django_db
A = ApplicationStatus
START = reverse("clinic:onboarding-start")
SEARCH = reverse("clinic:onboarding-search")
DATA = reverse("clinic:onboarding-data")
TERMS = reverse("clinic:onboarding-terms")


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def contact(**changes) -> dict:
    data = {key: value for key, value in application_data().items()}
    data.update(changes)
    return data


def test_the_sign_in_page_leads_to_the_wizard(client):
    login = client.get(reverse("clinic:login")).content.decode()
    assert f'<a href="{START}">Uzyskaj dostęp</a>' in login
    start = client.get(START).content.decode()
    assert f'<a class="btn primary" href="{SEARCH}">Uzyskaj dostęp</a>' in start


def test_the_search_takes_exactly_one_valid_number(client, frozen):
    empty = client.get(SEARCH, {"nip": "", "regon": "", "rpwdl_book": ""})
    assert empty.context["form"].non_field_errors() == [
        "Wpisz jeden z numerów: NIP, REGON albo numer księgi rejestrowej."
    ]
    wrong = client.get(SEARCH, {"nip": "1234567890"})
    assert wrong.context["form"].errors == {"nip": ["Ten NIP ma błędną cyfrę kontrolną. Sprawdź numer."]}
    two = client.get(SEARCH, {"nip": valid_nip("951234567"), "rpwdl_book": "12"})
    assert two.context["form"].non_field_errors() == ["Wpisz tylko jeden numer – wyszukujemy po jednym."]
    assert client.get(SEARCH, {"rpwdl_book": "12a"}).context["form"].errors == {
        "rpwdl_book": ["Numer księgi rejestrowej to do 12 cyfr."]
    }


def test_found_free_taken_and_missing_facilities(client, frozen):
    free = facility()
    by_nip = client.get(SEARCH, {"nip": free.nip})
    assert by_nip.context["results"] == [(free, False)]
    assert f'href="{DATA}?podmiot={free.pk}">Wybierz' in by_nip.content.decode()
    by_book = client.get(SEARCH, {"rpwdl_book": "12345"})  # the leading zeros are optional
    assert by_book.context["results"] == [(free, False)]
    holder = make_provider()
    taken = facility(name="Przychodnia z kontem", nip=valid_nip("951234567"), book="000000099999", provider=holder)
    page = client.get(SEARCH, {"rpwdl_book": "99999"})
    assert page.context["results"] == [(taken, True)]
    text = page.content.decode()
    assert "Ta placówka ma już konto." in text
    assert holder.name not in text and "Wybierz" not in text
    missing = client.get(SEARCH, {"regon": "123456785"})
    assert missing.context["results"] == []
    assert "Nie znaleźliśmy placówki o tym numerze." in missing.content.decode()
    assert f'href="{DATA}?podmiot=">Wypełnij wniosek o przystąpienie' in missing.content.decode()
    # Only a facility the last search offered can be chosen: not a taken one, not one by its id,
    # not a crafted id.
    assert client.get(DATA, {"podmiot": taken.pk}).status_code == 404
    assert (
        client.get(
            DATA,
            {
                "podmiot": RegistryFacility.objects.create(
                    name="Nieszukana",
                    rpwdl_book="000000000555",
                    imported_at=free.imported_at,
                    updated_at=free.updated_at,
                ).pk
            },
        ).status_code
        == 404
    )
    assert client.get(DATA, {"podmiot": "²"}).status_code == 404


def test_choosing_a_registered_facility_keeps_its_numbers_and_sends_the_application(client, frozen):
    chosen = facility()
    client.get(SEARCH, {"nip": chosen.nip})
    form = client.get(DATA, {"podmiot": chosen.pk}).context["form"]
    assert (form["nip"].value(), form["city"].value(), form.fields["nip"].disabled) == (chosen.nip, "Kraków", True)
    tampered = {**contact(nip=valid_nip("779231113"), name="Inna nazwa", street="ul. Zdrowa 5"), "podmiot": chosen.pk}
    without_extract = client.post(DATA, tampered)
    assert without_extract.context["form"].errors == {"extract": ["Dołącz wypis z RPWDL (plik PDF lub JPG)."]}
    posted = client.post(DATA, {**tampered, "extract": extract()})
    assert posted["Location"] == TERMS
    draft = ProviderApplication.objects.get()
    assert (draft.status, draft.facility_id, draft.nip, draft.name, bool(draft.extract)) == (
        A.DRAFT,
        chosen.pk,
        chosen.nip,
        chosen.name,
        True,
    )
    terms = client.get(TERMS)
    text = terms.content.decode()
    assert "Regulamin Świadczeniodawcy" in text and "Wypis z RPWDL</dt><dd>dołączony" in text
    unaccepted = client.post(TERMS, {})
    assert unaccepted.context["form"].errors == {"accept": ["Zaznacz „Akceptuję regulamin”, aby wysłać wniosek."]}
    sent = client.post(TERMS, {"accept": "on"})
    draft.refresh_from_db()
    status_url = reverse("clinic:onboarding-status", args=[draft.pk, draft.token])
    assert (sent["Location"], draft.status) == (status_url, A.SUBMITTED)
    again = client.post(TERMS, {"accept": "on"})
    assert (again["Location"], ProviderApplication.objects.count()) == (status_url, 1)
    status = client.get(status_url).content.decode()
    assert "Wniosek został prawidłowo złożony 20.11.2026 10:00 i przekazany operatorom Terminarza." in status
    assert "Najpóźniej w ciągu 2 dni" in status
    assert "Potwierdź adres e-mail: kliknij link w wiadomości" in status
    confirmed = client.get(reverse("clinic:onboarding-confirm-email", args=[draft.pk, draft.email_token]), follow=True)
    assert messages_of(confirmed) == ["Adres e-mail potwierdzony. Wniosek czeka na weryfikację przez operatora."]
    assert "Adres e-mail jest potwierdzony." in confirmed.content.decode()
    forged = reverse("clinic:onboarding-confirm-email", args=[draft.pk, draft.token])
    assert client.get(forged).status_code == 404


def test_a_new_facility_needs_the_extract_and_back_keeps_the_data(client, frozen):
    without = client.post(DATA, {**contact(), "podmiot": ""})
    assert without.context["form"].errors == {"extract": ["Dołącz wypis z RPWDL (plik PDF lub JPG)."]}
    bad = client.post(DATA, {**contact(postal_code="60101", nip="123"), "podmiot": ""})
    assert bad.context["form"].errors == {
        "postal_code": ["Wpisz kod pocztowy w formacie 00-000."],
        "nip": ["Wpisz NIP: 10 cyfr, z kreskami lub bez."],
    }
    image = client.post(DATA, {**contact(), "podmiot": "", "extract": extract("wypis.jpg", b"%PDF-1.4 not a jpeg")})
    assert image.context["form"].errors == {"extract": ["Plik nie jest dokumentem PDF ani obrazem JPG."]}
    ok = client.post(DATA, {**contact(), "podmiot": "", "extract": extract()})
    assert ok["Location"] == TERMS
    back = client.get(DATA).context["form"]
    assert (back["email"].value(), back["city"].value()) == ("anna@gabinet-nowy.example", "Poznań")
    corrected = client.post(DATA, {**contact(city="Gniezno"), "podmiot": ""})  # the file stays
    assert corrected["Location"] == TERMS
    draft = ProviderApplication.objects.get()
    assert (draft.city, draft.extract.name.endswith(".pdf")) == ("Gniezno", True)
    cancelled = client.post(reverse("clinic:onboarding-cancel"), follow=True)
    assert messages_of(cancelled) == ["Wniosek anulowano. Wpisane dane usunęliśmy."]
    draft.refresh_from_db()
    assert (draft.status, draft.extract.name) == (A.CANCELLED, "")
    assert client.get(TERMS)["Location"] == SEARCH


def test_the_terms_download_as_a_pdf(client, frozen):
    response = client.get(reverse("clinic:onboarding-terms-pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="regulamin-swiadczeniodawcy-1.0.pdf"'
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Regulamin Świadczeniodawcy" in text and "Wersja 1.0, obowiązuje od 01.01.2026" in text


def test_the_status_page_needs_its_token(client, frozen):
    draft = services.save_draft(application_data(), facility=None, extract=extract())
    assert client.get(reverse("clinic:onboarding-status", args=[draft.pk, draft.token])).status_code == 404  # a draft
    sent = services.submit(draft, accepted=True)
    assert client.get(reverse("clinic:onboarding-status", args=[sent.pk, "x" * 43])).status_code == 404
    operator = get_user_model().objects.create_user("op", "op@terminarz.local", "x", is_staff=True)
    services.reject(sent, actor=operator, reason="Brak wpisu w RPWDL.")
    page = client.get(reverse("clinic:onboarding-status", args=[sent.pk, sent.token])).content.decode()
    assert "Wniosek odrzucono. Powód: Brak wpisu w RPWDL." in page


def test_the_password_link_sets_the_password_once_then_the_admin_signs_in(client, frozen):
    draft = services.save_draft(application_data(), facility=None, extract=extract())
    operator = get_user_model().objects.create_user("op", "op@terminarz.local", "x", is_staff=True)
    sent = services.submit(draft, accepted=True)
    services.approve(services.confirm_email(sent.pk, sent.email_token), actor=operator)
    link = PasswordLink.objects.get()
    url = reverse("clinic:onboarding-password", args=[link.pk, link.token])
    page = client.get(url)
    assert "Nazwa użytkownika: <strong>anna@gabinet-nowy.example</strong>." in page.content.decode()
    mismatch = client.post(url, {"new_password1": "Mocne-haslo-2026!", "new_password2": "Inne-haslo-2026!"})
    assert mismatch.context["form"].errors == {"new_password2": ["Hasła w obu polach nie są zgodne."]}
    done = client.post(url, {"new_password1": "Mocne-haslo-2026!", "new_password2": "Mocne-haslo-2026!"}, follow=True)
    assert messages_of(done) == ["Hasło ustawione. Zaloguj się – nazwa użytkownika: anna@gabinet-nowy.example."]
    reused = client.get(url)
    assert reused.status_code == 410
    assert "Ten link został już użyty. Zaloguj się ustawionym hasłem." in reused.content.decode()
    signed = client.post(
        reverse("clinic:login"), {"username": "anna@gabinet-nowy.example", "password": "Mocne-haslo-2026!"}
    )
    assert signed["Location"] == reverse("clinic:home")
    home = client.get(reverse("clinic:home"), follow=True)
    assert home.context["clinic_provider"].name == "Gabinet Nowy sp. z o.o."
