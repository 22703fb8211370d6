"""The platform operator's desk (`/operator/`): only platform staff, always past a second
factor; the queue of applications (oldest first, drafts never shown), approve or reject with
a reason, the RPWDL extract served only here, the register import with its report."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver, reverse

from terminarz.factors.models import EmailDevice
from terminarz.onboarding import services
from terminarz.onboarding.models import ApplicationStatus, PasswordLink, ProviderApplication, RegistryFacility
from terminarz.providers.models import Provider
from tests.clinic.test_access import make_user
from tests.clinic.test_two_factor import mark_verified
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider
from tests.onboarding.helpers import application_data, extract, valid_nip, valid_regon

pytestmark = pytest.mark.django_db
A = ApplicationStatus
HOME = reverse("operatordesk:home")


def operator_client(client, username="operator"):
    user = get_user_model().objects.create_user(
        username, f"{username}@terminarz.local", "haslo-testowe-123", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    device = EmailDevice.objects.create(user=user, name="e-mail", confirmed=True, email=user.email)
    client.force_login(user)
    mark_verified(client, device)
    return user


def submitted(at=FROZEN_NOW, **changes) -> ProviderApplication:
    draft = services.save_draft(application_data(**changes), facility=None, extract=extract(), now=at)
    sent = services.submit(draft, accepted=True, now=at)
    return services.confirm_email(sent.pk, sent.email_token, now=at)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_only_platform_staff_past_a_second_factor_get_in(client, frozen):
    assert client.get(HOME)["Location"] == "/operator/logowanie/?next=/operator/"
    client.force_login(make_user("kierownik", make_provider(), "admin"))  # a provider's admin is not the operator
    denied = client.get(HOME)
    assert denied.status_code == 403
    assert "Brak dostępu do panelu operatora" in denied.content.decode()
    client.logout()
    # platform staff without the operator's permission (e.g. support reading the admin) neither
    support = get_user_model().objects.create_user("wsparcie", "w@terminarz.local", "x", is_staff=True)
    client.force_login(support)
    assert client.get(HOME).status_code == 403
    client.logout()
    opiekun = get_user_model().objects.create_user(
        "opiekun", "opiekun@terminarz.local", "haslo-testowe-123", is_staff=True
    )
    opiekun.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    signed = client.post(
        reverse("operatordesk:login"), {"username": "opiekun", "password": "haslo-testowe-123", "next": "/operator/"}
    )
    assert signed["Location"] == "/operator/"
    setup = client.get(HOME, follow=True)
    assert setup.redirect_chain[-1][0] == reverse("clinic:2fa")
    assert messages_of(setup) == [
        "Administracja platformy wymaga logowania dwuskładnikowego. Włącz drugi składnik, aby kontynuować."
    ]


def test_every_desk_page_refuses_someone_who_is_not_the_operator(client, frozen):
    application = submitted()
    get_user_model().objects.create_user("zwykly", password="x")
    client.force_login(get_user_model().objects.get(username="zwykly"))
    walked = 0
    for pattern in get_resolver("terminarz.operatordesk.urls").url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in ("login", "logout"):
            continue
        kwargs = {name: application.pk for name in pattern.pattern.converters}
        response = client.get(reverse(f"operatordesk:{pattern.name}", kwargs=kwargs))
        assert (pattern.name, response.status_code) == (pattern.name, 403)
        walked += 1
    assert walked == 12


def test_the_queue_lists_waiting_applications_oldest_first_without_drafts(client, frozen):
    operator_client(client)
    newer = submitted()
    older = submitted(
        at=FROZEN_NOW - dt.timedelta(days=2),
        nip=valid_nip("951234567"),
        regon=valid_regon("12345678"),
        rpwdl_book="000000000042",
        email="b@example.com",
        name="Starszy wniosek",
    )
    services.save_draft(
        application_data(nip=valid_nip("779231113"), regon=valid_regon("87654321"), rpwdl_book="7"),
        facility=None,
        extract=extract(),
    )
    page = client.get(reverse("operatordesk:applications"))
    assert [a.pk for a in page.context["page"]] == [older.pk, newer.pk]
    assert "2\xa0dni temu" in page.content.decode()
    home = client.get(HOME)
    assert home.context["applications"] == {"count": 2, "oldest": FROZEN_NOW - dt.timedelta(days=2)}
    found = client.get(reverse("operatordesk:applications"), {"status": "all", "q": "Starszy"})
    assert [a.pk for a in found.context["page"]] == [older.pk]


def test_approving_from_the_desk_opens_the_provider(client, frozen):
    operator = operator_client(client)
    application = submitted()
    url = reverse("operatordesk:application", args=[application.pk])
    assert "Akceptuj wniosek" in client.get(url).content.decode()
    done = client.post(url, {"action": "approve"}, follow=True)
    assert messages_of(done) == [
        "Wniosek zaakceptowano. Konto placówki założono, link do ustawienia hasła wysłano na anna@gabinet-nowy.example."
    ]
    application.refresh_from_db()
    assert (application.status, application.decided_by_id) == (A.APPROVED, operator.pk)
    assert Provider.objects.get(pk=application.provider_id).name == "Gabinet Nowy sp. z o.o."
    text = done.content.decode()
    assert "Link do ustawienia hasła jest ważny do 22.11.2026 10:00." in text
    twice = client.post(url, {"action": "approve"}, follow=True)
    assert messages_of(twice) == ["Nie można zmienić statusu wniosku z „Zaakceptowany” na „Zaakceptowany”."]
    assert Provider.objects.filter(nip=application.nip).count() == 1
    resent = client.post(url, {"action": "resend"}, follow=True)
    assert messages_of(resent) == ["Wysłano nowy link do ustawienia hasła na anna@gabinet-nowy.example."]
    assert PasswordLink.objects.filter(application=application).count() == 2


def test_rejecting_needs_a_reason(client, frozen):
    operator_client(client)
    application = submitted()
    url = reverse("operatordesk:application", args=[application.pk])
    empty = client.post(url, {"action": "reject", "reason": ""})
    assert empty.context["reject_form"].errors == {"reason": ["To pole jest wymagane."]}
    done = client.post(url, {"action": "reject", "reason": "Dane niezgodne z RPWDL."}, follow=True)
    assert messages_of(done) == ["Wniosek odrzucono. Wnioskodawca dostanie e-mail z powodem."]
    application.refresh_from_db()
    assert (application.status, application.reason) == (A.REJECTED, "Dane niezgodne z RPWDL.")
    assert "Dane niezgodne z RPWDL." in done.content.decode()


def test_the_extract_is_served_only_to_the_operator_and_never_cached(client, frozen):
    application = submitted()
    url = reverse("operatordesk:application-extract", args=[application.pk])
    assert client.get(url)["Location"].startswith("/operator/logowanie/")
    operator_client(client)
    response = client.get(url)
    assert (response.status_code, response["Cache-Control"]) == (200, "no-store")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    draft = services.save_draft(
        application_data(nip=valid_nip("951234567"), regon=valid_regon("12345678"), rpwdl_book="9"),
        facility=None,
        extract=extract(),
    )
    assert client.get(reverse("operatordesk:application-extract", args=[draft.pk])).status_code == 404


def test_the_register_import_reports_from_the_desk(client, frozen):
    operator_client(client)
    url = reverse("operatordesk:registry")
    body = (
        "nazwa;nip;regon;numer_ksiegi;ulica;kod_pocztowy;miejscowosc;wojewodztwo\n"
        f"Przychodnia Nowa;{valid_nip('951234567')};;1111;ul. A 1;00-950;Warszawa;mazowieckie\n"
        "Zły;1234567890;;2222;;;;\n"
    )
    response = client.post(url, {"file": SimpleUploadedFile("rejestr.csv", body.encode(), "text/csv")})
    text = response.content.decode()
    assert "Dodano 1 podmiot." in text and "Zaktualizowano 0 podmiotów." in text and "Odrzucono 1 wiersz." in text
    assert "nieprawidłowy NIP 1234567890" in text
    assert [f.name for f in response.context["page"]] == ["Przychodnia Nowa"]
    not_csv = client.post(url, {"file": SimpleUploadedFile("rejestr.xlsx", b"PK", "application/zip")})
    assert not_csv.context["form"].errors == {"file": ["Wybierz plik CSV."]}
    broken = client.post(url, {"file": SimpleUploadedFile("rejestr.csv", b"nazwa;nip\nX;1", "text/csv")})
    assert broken.context["form"].errors == {
        "file": ["Brak kolumn: regon, numer_ksiegi, ulica, kod_pocztowy, miejscowosc, wojewodztwo."]
    }
    assert RegistryFacility.objects.count() == 1


def test_the_change_and_location_queues_decide_from_the_desk(client, frozen):
    from terminarz.notifications.models import Message
    from terminarz.onboarding import changes
    from terminarz.providers import services as org
    from terminarz.providers.models import Location

    operator_client(client)
    provider = make_provider()
    provider.email = "recepcja@example.com"
    provider.save()
    change = changes.request_provider_change(provider, {"phone": "+48 12 000 00 09"}, actor=None)
    location = org.add_location(
        provider, {"name": "Filia", "street": "ul. Polna 2", "postal_code": "31-000", "city": "Kraków"}, actor=None
    )
    home = client.get(HOME).context
    assert (home["changes"]["count"], home["locations"]["count"]) == (1, 1)
    queue = client.get(reverse("operatordesk:changes"))
    assert [(c.pk, rows) for c, rows in queue.context["rows"]] == [(change.pk, [("Telefon", "", "+48 12 000 00 09")])]
    no_reason = client.post(reverse("operatordesk:changes"), {"change": change.pk, "decision": "reject"}, follow=True)
    assert messages_of(no_reason) == ["Podaj powód odrzucenia – placówka go zobaczy."]
    approved = client.post(reverse("operatordesk:changes"), {"change": change.pk, "decision": "accept"}, follow=True)
    assert messages_of(approved) == ["Zatwierdzono. Placówka dostanie e-mail."]
    provider.refresh_from_db()
    assert provider.phone == "+48 12 000 00 09"
    assert list(client.get(reverse("operatordesk:locations")).context["rows"]) == [location]
    assert client.post(reverse("operatordesk:locations"), {"location": "abc", "decision": "reject"}).status_code == 404
    assert client.post(reverse("operatordesk:locations"), {"location": location.pk, "decision": "x"}).status_code == 404
    rejected = client.post(
        reverse("operatordesk:locations"),
        {
            "location": location.pk,
            "decision": "reject",
            "reason": "Adres spoza RPWDL.",
            "seen": location.requested_at.isoformat(),
        },
        follow=True,
    )
    assert messages_of(rejected) == ["Odrzucono. Placówka dostanie e-mail z powodem."]
    location = Location.unscoped.get(pk=location.pk)
    assert (location.status, location.rejection_reason) == ("rejected", "Adres spoza RPWDL.")
    assert sorted(Message.objects.values_list("kind", flat=True)) == ["change_decided", "location_decided"]
    assert client.post(reverse("operatordesk:locations"), {"location": 999999, "decision": "accept"}).status_code == 404


def test_suspending_a_provider_takes_it_off_the_portal_and_tells_its_staff_why(client, frozen):
    from terminarz.core.models import AuditEntry
    from terminarz.notifications.models import Message

    provider = make_provider()
    provider.email = "recepcja@example.com"
    provider.save()
    staff = make_user("rejestratorka", provider, "registrar")
    assert client.get(reverse("portal:provider", args=[provider.pk])).status_code == 200
    operator_client(client)
    url = reverse("operatordesk:providers")
    no_reason = client.post(url, {"provider": provider.pk, "action": "suspend", "reason": " "}, follow=True)
    assert messages_of(no_reason) == ["Podaj powód zawieszenia – placówka go zobaczy."]
    done = client.post(
        url, {"provider": provider.pk, "action": "suspend", "reason": "Nieopłacony abonament."}, follow=True
    )
    assert messages_of(done) == [f"Zawieszono placówkę {provider.name}."]
    provider.refresh_from_db()
    assert (provider.is_active, provider.suspended_reason, provider.suspended_at) == (
        False,
        "Nieopłacony abonament.",
        FROZEN_NOW,
    )
    assert AuditEntry.objects.get(provider_id=provider.pk, action="provider.suspended").changes == {
        "is_active": [True, False],
        "reason": "Nieopłacony abonament.",
    }
    assert Message.objects.get(kind="provider_status").recipient == "recepcja@example.com"
    twice = client.post(url, {"provider": provider.pk, "action": "suspend", "reason": "x"}, follow=True)
    assert messages_of(twice) == ["Placówka jest już zawieszona."]
    client.logout()
    assert client.get(reverse("portal:provider", args=[provider.pk])).status_code == 404
    client.force_login(staff)
    page = client.get(reverse("clinic:home"), follow=True)
    assert page.status_code == 403
    assert "zostało zawieszone przez operatora Terminarza. Powód: Nieopłacony abonament." in page.content.decode()
    client.logout()
    operator_client(client, "operator2")
    back = client.post(url, {"provider": provider.pk, "action": "reactivate"}, follow=True)
    assert messages_of(back) == [f"Przywrócono placówkę {provider.name}."]
    provider.refresh_from_db()
    assert (provider.is_active, provider.suspended_reason, provider.suspended_at) == (True, "", None)
    assert client.post(url, {"provider": provider.pk, "action": "delete"}).status_code == 404
