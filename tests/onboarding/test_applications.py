"""A1 rules: the application's state machine (every transition allowed and refused), the
draft, the submission (terms recorded, idempotent), the operator's approval (the provider,
its main location, the admin without a password, the e-mailed link valid 48 hours and once)
and rejection with a reason; the register import with its report."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from terminarz.core.models import AuditEntry, StateTransition
from terminarz.core.statemachine import TransitionRefused
from terminarz.legal.models import TermsAcceptance
from terminarz.notifications.models import Message
from terminarz.notifications.services import render_message
from terminarz.onboarding import registry, services
from terminarz.onboarding.machines import APPLICATION
from terminarz.onboarding.models import ApplicationStatus, PasswordLink, ProviderApplication, RegistryFacility
from terminarz.providers.models import Location, Membership, Provider
from tests.conftest import FROZEN_NOW
from tests.onboarding.helpers import application_data, extract, facility, valid_nip, valid_regon

pytestmark = pytest.mark.django_db
A = ApplicationStatus


@pytest.fixture
def operator(frozen):
    return get_user_model().objects.create_user("operator", "op@terminarz.local", "x", is_staff=True)


def submitted(confirmed: bool = True, **changes) -> ProviderApplication:
    draft = services.save_draft(application_data(**changes), facility=None, extract=extract())
    sent = services.submit(draft, accepted=True)
    if confirmed:  # the applicant followed the link in the e-mail
        services.confirm_email(sent.pk, sent.email_token)
    return sent


def test_the_machine_allows_exactly_these_transitions():
    assert APPLICATION.allowed("") == {A.DRAFT}
    assert APPLICATION.allowed(A.DRAFT) == {A.SUBMITTED, A.CANCELLED}
    assert APPLICATION.allowed(A.SUBMITTED) == {A.APPROVED, A.REJECTED}
    for final in (A.APPROVED, A.REJECTED, A.CANCELLED):
        assert APPLICATION.allowed(final) == set()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (A.DRAFT, A.APPROVED),
        (A.DRAFT, A.REJECTED),
        (A.SUBMITTED, A.CANCELLED),
        (A.SUBMITTED, A.DRAFT),
        (A.APPROVED, A.REJECTED),
        (A.APPROVED, A.SUBMITTED),
        (A.REJECTED, A.APPROVED),
        (A.REJECTED, A.SUBMITTED),
        (A.CANCELLED, A.SUBMITTED),
    ],
)
def test_refused_transitions(frozen, start, target):
    application = ProviderApplication.objects.create(status=start, created_at=FROZEN_NOW, **application_data())
    with pytest.raises(TransitionRefused) as refused:
        APPLICATION.move(application, target)
    assert refused.value.message == (
        f"Nie można zmienić statusu wniosku z „{APPLICATION.label(start)}” na „{APPLICATION.label(target)}”."
    )


def test_a_draft_needs_the_extract_and_a_chosen_facility_keeps_the_registers_identity(
    frozen, django_capture_on_commit_callbacks
):
    with pytest.raises(services.OnboardingError) as missing:
        services.save_draft(application_data(), facility=None)
    assert missing.value.errors == {"extract": ["Dołącz wypis z RPWDL (plik PDF lub JPG)."]}
    with pytest.raises(services.OnboardingError) as renamed:
        services.save_draft(application_data(), facility=None, extract=extract("wypis.pdf", b"MZ\x90\x00 exe"))
    assert renamed.value.errors == {"extract": ["Plik nie jest dokumentem PDF ani obrazem JPG."]}
    chosen = facility()
    with pytest.raises(services.OnboardingError) as chosen_without:  # the register is no proof
        services.save_draft(application_data(), facility=chosen)
    assert chosen_without.value.errors == {"extract": ["Dołącz wypis z RPWDL (plik PDF lub JPG)."]}
    draft = services.save_draft(application_data(name="Cokolwiek"), facility=chosen, extract=extract())
    assert (draft.status, draft.facility_id, draft.name, draft.nip, draft.rpwdl_book) == (
        A.DRAFT,
        chosen.pk,
        chosen.name,
        chosen.nip,
        chosen.rpwdl_book,
    )
    assert list(APPLICATION.history(draft).values_list("from_state", "to_state", "actor_label")) == [
        ("", "draft", "applicant")
    ]
    first_file = draft.extract.name
    with django_capture_on_commit_callbacks(execute=True):  # the replaced file goes after the commit
        services.save_draft(application_data(), facility=chosen, extract=extract("nowy.pdf"), application=draft)
    draft.refresh_from_db()
    assert (draft.extract.name.endswith(".pdf"), draft.extract.storage.exists(first_file)) == (True, False)


def test_stale_drafts_are_dropped_with_their_files(frozen):
    draft = services.save_draft(application_data(), facility=None, extract=extract())
    stored = draft.extract.name
    frozen.move_to(FROZEN_NOW + dt.timedelta(days=6, hours=23))
    assert services.purge_stale_drafts() == 0
    frozen.move_to(FROZEN_NOW + dt.timedelta(days=7, minutes=1))
    assert services.purge_stale_drafts() == 1
    draft.refresh_from_db()
    assert (draft.status, draft.extract.storage.exists(stored)) == (A.CANCELLED, False)


def test_submitting_records_the_terms_and_e_mails_the_status_link_once(frozen):
    draft = services.save_draft(application_data(), facility=None, extract=extract())
    with pytest.raises(services.OnboardingError) as unaccepted:
        services.submit(draft, accepted=False)
    assert unaccepted.value.errors == {"accept": ["Zaznacz „Akceptuję regulamin”, aby wysłać wniosek."]}
    sent = services.submit(draft, accepted=True)
    again = services.submit(draft, accepted=True)
    assert (again.pk, again.status, again.submitted_at) == (sent.pk, A.SUBMITTED, FROZEN_NOW)
    assert (sent.terms.kind, sent.terms.version, sent.terms_accepted_at) == ("provider", "1.0", FROZEN_NOW)
    messages = list(Message.objects.filter(kind="onboarding_submitted"))
    assert [m.recipient for m in messages] == ["anna@gabinet-nowy.example"]
    _subject, body, _html = render_message(messages[0])
    assert f"/gabinet/uzyskaj-dostep/wniosek/{sent.pk}/{sent.token}/" in body
    assert f"/gabinet/uzyskaj-dostep/potwierdz/{sent.pk}/{sent.email_token}/" in body


def test_waiting_applications_do_not_block_each_other_but_an_account_does(frozen, operator):
    first = submitted()
    rival = submitted(email="ktos@inny.example")  # someone else for the same NIP: both wait
    assert [a.pk for a in services.same_facility(first)] == [rival.pk]
    services.approve(first, actor=operator)
    with pytest.raises(services.OnboardingError) as second:
        services.approve(rival, actor=operator)
    assert second.value.message == "Ta placówka ma już konto w Terminarzu. Odrzuć wniosek z tym powodem."
    with pytest.raises(services.OnboardingError) as holder:
        services.save_draft(application_data(regon=valid_regon("30999999")), facility=None, extract=extract())
    assert holder.value.message == services.taken_message()
    assert "anna@" not in services.taken_message()  # who holds the account is never said


def test_approval_waits_for_the_confirmed_e_mail(frozen, operator):
    application = submitted(confirmed=False)
    with pytest.raises(services.OnboardingError) as unconfirmed:
        services.approve(application, actor=operator)
    assert unconfirmed.value.message == (
        "Wnioskodawca nie potwierdził jeszcze adresu e-mail (link w wiadomości o złożeniu wniosku)."
    )
    with pytest.raises(services.OnboardingError):
        services.confirm_email(application.pk, application.token)  # the status link is not the e-mail's
    services.confirm_email(application.pk, application.email_token)
    services.approve(application, actor=operator)
    application.refresh_from_db()
    assert (application.status, application.email_confirmed_at) == (A.APPROVED, FROZEN_NOW)


def test_numbers_with_non_ascii_digits_are_refused_by_the_import(frozen):
    report = registry.import_csv(
        "nazwa;nip;regon;numer_ksiegi;ulica;kod_pocztowy;miejscowosc;wojewodztwo\n"
        "Podróbka;５２６１０４１２３６;;000000000001;;;;\n".encode()
    )
    assert (report.added, report.refused) == (0, [(2, "nieprawidłowy NIP ５２６１０４１２３６")])


def test_approval_opens_the_provider_and_e_mails_a_48_hour_single_use_password_link(frozen, operator):
    application = submitted()
    services.approve(application, actor=operator)
    application.refresh_from_db()
    provider = Provider.objects.get(nip=application.nip)
    assert (application.status, application.provider_id, application.decided_by_id) == (
        A.APPROVED,
        provider.pk,
        operator.pk,
    )
    location = Location.unscoped.get(provider=provider)
    assert (location.number, location.street, location.postal_code, location.city) == (
        1,
        "ul. Polna 1",
        "60-101",
        "Poznań",
    )
    admin = Membership.objects.get(provider=provider)
    assert (admin.role, admin.user.username, admin.user.has_usable_password()) == (
        "admin",
        "anna@gabinet-nowy.example",
        False,
    )
    acceptance = TermsAcceptance.objects.get(user=admin.user)
    assert (acceptance.document_id, acceptance.accepted_at, acceptance.channel, acceptance.provider_ref) == (
        application.terms_id,
        FROZEN_NOW,
        "onboarding",
        provider.pk,
    )
    registered = RegistryFacility.objects.get(nip=application.nip)
    assert (registered.provider_id, registered.rpwdl_book) == (provider.pk, "000000054321")
    assert AuditEntry.objects.filter(provider_id=provider.pk, action="application.approved").count() == 1
    link = PasswordLink.objects.get(application=application)
    assert link.expires_at == FROZEN_NOW + dt.timedelta(hours=48)
    message = Message.objects.get(kind="onboarding_approved")
    _subject, body, _html = render_message(message)
    assert f"/gabinet/haslo/{link.pk}/{link.token}/" in body
    assert "Nazwa użytkownika: anna@gabinet-nowy.example" in body

    frozen.move_to(FROZEN_NOW + dt.timedelta(hours=47))
    with pytest.raises(services.OnboardingError) as weak:
        services.set_password(link.pk, link.token, "123")
    assert weak.value.errors["new_password1"][0].startswith("To hasło jest za krótkie.")
    with pytest.raises(services.OnboardingError) as forged:
        services.set_password(link.pk, "x" * 43, "Mocne-haslo-2026!")
    assert forged.value.message == "Ten link jest nieprawidłowy."
    user = services.set_password(link.pk, link.token, "Mocne-haslo-2026!")
    assert user.check_password("Mocne-haslo-2026!")
    with pytest.raises(services.OnboardingError) as used:
        services.set_password(link.pk, link.token, "Inne-haslo-2026!")
    assert used.value.message == "Ten link został już użyty. Zaloguj się ustawionym hasłem."


def test_an_expired_link_is_refused_and_the_operator_can_send_a_new_one(frozen, operator):
    application = submitted()
    services.approve(application, actor=operator)
    old = PasswordLink.objects.get(application=application)
    frozen.move_to(FROZEN_NOW + dt.timedelta(hours=48))
    with pytest.raises(services.OnboardingError) as expired:
        services.set_password(old.pk, old.token, "Mocne-haslo-2026!")
    assert expired.value.message.startswith("Ten link wygasł (był ważny 48 godzin).")
    new = services.resend_password_link(application, actor=operator)
    assert new.expires_at == FROZEN_NOW + dt.timedelta(hours=96)
    services.set_password(new.pk, new.token, "Mocne-haslo-2026!")
    with pytest.raises(services.OnboardingError) as needless:
        services.resend_password_link(application, actor=operator)
    assert needless.value.message == "Hasło zostało już ustawione – link nie jest potrzebny."


def test_rejection_needs_a_reason_and_e_mails_it(frozen, operator):
    application = submitted()
    with pytest.raises(services.OnboardingError) as no_reason:
        services.reject(application, actor=operator, reason="  ")
    assert no_reason.value.errors == {"reason": ["Podaj powód odrzucenia – wnioskodawca go zobaczy."]}
    services.reject(application, actor=operator, reason="Wypis z RPWDL jest nieczytelny.")
    application.refresh_from_db()
    assert (application.status, application.reason, application.decided_by_id) == (
        A.REJECTED,
        "Wypis z RPWDL jest nieczytelny.",
        operator.pk,
    )
    transition = StateTransition.objects.get(object_id=str(application.pk), to_state=A.REJECTED)
    assert (transition.actor_id, transition.reason) == (operator.pk, "Wypis z RPWDL jest nieczytelny.")
    _subject, body, _html = render_message(Message.objects.get(kind="onboarding_rejected"))
    assert "Powód: Wypis z RPWDL jest nieczytelny." in body
    with pytest.raises(TransitionRefused):
        services.approve(application, actor=operator)
    assert Provider.objects.filter(nip=application.nip).exists() is False


def test_approval_is_refused_when_the_e_mail_already_has_an_account(frozen, operator):
    get_user_model().objects.create_user("pacjentka", "Anna@Gabinet-Nowy.example", "x")
    application = submitted()
    with pytest.raises(services.OnboardingError) as taken:
        services.approve(application, actor=operator)
    assert taken.value.message == (
        "Konto z adresem anna@gabinet-nowy.example już istnieje. Poproś wnioskodawcę o inny adres i odrzuć wniosek."
    )
    application.refresh_from_db()
    assert (application.status, Provider.objects.filter(nip=application.nip).count()) == (A.SUBMITTED, 0)


def test_cancelling_a_draft_drops_its_file(frozen):
    draft = services.save_draft(application_data(), facility=None, extract=extract())
    stored = draft.extract.name
    services.cancel(draft)
    draft.refresh_from_db()
    assert (draft.status, draft.extract.name) == (A.CANCELLED, "")
    assert draft.extract.storage.exists(stored) is False


def test_the_register_import_adds_updates_and_refuses_rows_with_reasons(frozen):
    existing = facility(book="000000000777")
    good_nip = valid_nip("951234567")
    rows = [
        "nazwa;nip;regon;numer_ksiegi;ulica;kod_pocztowy;miejscowosc;wojewodztwo",
        f"Przychodnia Nowa;{good_nip};;000000001111;ul. A 1;00-950;Warszawa;mazowieckie",
        f"Centrum po zmianie nazwy;{existing.nip};{existing.regon};777;ul. Zdrowa 5;30-001;Kraków;Małopolskie",
        "Zły NIP;1234567890;;000000002222;;;;",
        "Bez numerów;;;;ul. B;00-001;Łódź;łódzkie",
        f"Zły kod;{valid_nip('779231113')};;000000003333;ul. C;00001;Łódź;łódzkie",
        "Złe województwo;;;000000004444;ul. D;00-001;Łódź;bawarskie",
        ";;;000000005555;;;;",
    ]
    report = registry.import_csv("\n".join(rows).encode("utf-8"))
    assert (report.added, report.updated, report.error) == (1, 1, "")
    assert report.refused == [
        (4, "nieprawidłowy NIP 1234567890"),
        (5, "brak numeru księgi i NIP"),
        (6, "nieprawidłowy kod pocztowy 00001"),
        (7, "nieznane województwo bawarskie"),
        (8, "brak nazwy"),
    ]
    existing.refresh_from_db()
    assert (existing.name, existing.rpwdl_book) == ("Centrum po zmianie nazwy", "000000000777")
    added = RegistryFacility.objects.get(nip=good_nip)
    assert (added.rpwdl_book, added.voivodeship, added.city) == ("000000001111", "14", "Warszawa")
    again = registry.import_csv("\n".join(rows[:3]).encode("utf-8"))
    assert (again.added, again.updated, again.refused) == (0, 0, [])
    # Two entities of one taxpayer (one NIP, two books) stay two entries.
    branch = registry.import_csv(
        "\n".join([rows[0], f"Filia;{good_nip};;000000009999;ul. F 1;00-950;Warszawa;"]).encode()
    )
    assert (branch.added, branch.updated) == (1, 0)
    assert sorted(RegistryFacility.objects.filter(nip=good_nip).values_list("rpwdl_book", flat=True)) == [
        "000000001111",
        "000000009999",
    ]


def test_the_register_import_refuses_an_unreadable_file_whole(frozen):
    assert registry.import_csv(b"nazwa;nip\nX;1").error == (
        "Brak kolumn: regon, numer_ksiegi, ulica, kod_pocztowy, miejscowosc, wojewodztwo."
    )
    assert registry.import_csv("zażółć".encode("cp1250")).error == "Plik nie jest zapisany w UTF-8."
    assert RegistryFacility.objects.count() == 0
