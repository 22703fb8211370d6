"""G1, G2 (issue 13, first part): the insurance-service terms and a provider's cooperation with
an insurer – every allowed and refused transition, the parameters' and documents' checks."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from terminarz.core.statemachine import TransitionRefused
from terminarz.insurers import services
from terminarz.insurers.machines import COOPERATION
from terminarz.insurers.models import Cooperation, CooperationStatus, Insurer, InsurerTerms
from terminarz.legal.models import TermsDocument
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
S = CooperationStatus
PDF = b"%PDF-1.7\n%test\n"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
VALID_IBAN = "PL61 1090 1014 0000 0712 1981 2874"


@pytest.fixture
def world(frozen):
    provider = make_provider()
    insurer = Insurer.objects.create(name="TU Zdrowie", slug="tu-zdrowie", required_documents=["Wpis do rejestru"])
    InsurerTerms.objects.create(
        insurer=insurer,
        title="Regulamin ogólny",
        version="2.0",
        body="…",
        effective_from=FROZEN_NOW - dt.timedelta(days=1),
    )
    user = get_user_model().objects.create_user("ada", password="x")
    return provider, insurer, user


def ready_offer(provider, insurer, user):
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.cooperation(provider.pk, insurer)
    coop = services.start(coop, terms_version="2.0", understood=True, actor=user)
    coop = services.save_parameters(
        coop,
        start_date=dt.date(2026, 12, 1),
        iban=VALID_IBAN,
        contact_name="Anna Kowalska",
        contact_email="anna@example.com",
        contact_phone="",
    )
    services.add_document(coop, title="Wpis do rejestru", upload=SimpleUploadedFile("rejestr.pdf", PDF), actor=user)
    return coop


def test_the_whole_way_to_an_active_cooperation_and_its_end(world):
    provider, insurer, user = world
    coop = ready_offer(provider, insurer, user)
    coop = services.send_offer(coop, actor=user)
    coop = services.decide(coop, accept=True, reason="", actor=None)
    coop = services.end(coop, confirmed=True, actor=user)
    history = [(t.from_state, t.to_state) for t in COOPERATION.history(coop)]
    assert history == [
        ("", S.NONE),
        (S.NONE, S.TERMS_ACCEPTED),
        (S.TERMS_ACCEPTED, S.OFFER_SENT),
        (S.OFFER_SENT, S.ACTIVE),
        (S.ACTIVE, S.ENDED),
    ]
    assert coop.terms.version == "2.0" and coop.iban == "PL61109010140000071219812874"


def test_the_service_terms_come_first(world):
    provider, insurer, user = world
    coop = services.cooperation(provider.pk, insurer)
    with pytest.raises(services.CooperationError) as refused:
        services.start(coop, terms_version="2.0", understood=True, actor=user)
    assert refused.value.message.startswith("Najpierw zaakceptuj regulamin usługi Ubezpieczenia")


def test_accepting_the_service_terms_records_the_version_who_and_when(world):
    provider, _, user = world
    with pytest.raises(services.CooperationError):
        services.accept_service_terms(provider.pk, accepted=False, actor=user)
    service = services.accept_service_terms(provider.pk, accepted=True, actor=user, now=FROZEN_NOW)
    assert (service.terms.kind, service.terms.version, service.terms_accepted_by, service.terms_accepted_at) == (
        TermsDocument.Kind.INSURANCE,
        "1.0",
        user,
        FROZEN_NOW,
    )


def test_the_insurers_terms_must_be_understood_and_current(world):
    provider, insurer, user = world
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.cooperation(provider.pk, insurer)
    with pytest.raises(services.CooperationError) as not_ticked:
        services.start(coop, terms_version="2.0", understood=False, actor=user)
    with pytest.raises(services.CooperationError) as old_version:
        services.start(coop, terms_version="1.0", understood=True, actor=user)
    assert not_ticked.value.errors == {"understood": ["Zaznacz „rozumiem i zgadzam się z treścią regulaminu”."]}
    assert old_version.value.errors == {"terms": ["Regulamin ubezpieczyciela zmienił się – przeczytaj nową wersję."]}


def test_a_wrong_iban_checksum_is_a_polish_field_error_and_saves_nothing(world):
    provider, insurer, user = world
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=user)
    with pytest.raises(services.CooperationError) as refused:
        services.save_parameters(
            coop,
            start_date=dt.date(2026, 12, 1),
            iban="PL61 1090 1014 0000 0712 1981 2875",
            contact_name="Anna",
            contact_email="a@example.com",
            contact_phone="",
        )
    assert refused.value.errors == {"iban": ["Nieprawidłowy numer konta – sprawdź cyfry (błędna suma kontrolna)."]}
    assert Cooperation.objects.get(pk=coop.pk).iban == ""


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("rejestr.docx", PDF, "Dodaj plik PDF lub JPG."),
        ("rejestr.pdf", b"MZ\x90\x00 not a pdf", "Plik nie jest dokumentem PDF ani obrazem JPG."),
        ("skan.jpg", PDF, "Plik nie jest dokumentem PDF ani obrazem JPG."),
        ("rejestr.pdf", PDF + b"0" * (10 * 1024 * 1024), "Plik może mieć najwyżej 10 MB."),
    ],
)
def test_documents_are_checked_by_type_content_and_size(world, name, content, message):
    provider, insurer, user = world
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=user)
    with pytest.raises(services.CooperationError) as refused:
        services.add_document(coop, title="Wpis do rejestru", upload=SimpleUploadedFile(name, content), actor=user)
    assert refused.value.errors == {"file": [message]}
    assert coop.documents.count() == 0


def test_a_jpg_scan_is_accepted(world):
    provider, insurer, user = world
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=user)
    services.add_document(coop, title="Wpis do rejestru", upload=SimpleUploadedFile("skan.jpg", JPG), actor=user)
    assert list(coop.documents.values_list("title", flat=True)) == ["Wpis do rejestru"]


def test_an_offer_without_parameters_or_required_documents_is_not_sent(world):
    provider, insurer, user = world
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=user)
    with pytest.raises(services.CooperationError) as refused:
        services.send_offer(coop, actor=user)
    assert refused.value.message == (
        "Uzupełnij przed wysłaniem oferty: parametry współpracy (data rozpoczęcia, konto, osoba do kontaktu); "
        "Wpis do rejestru."
    )
    assert Cooperation.objects.get(pk=coop.pk).status == S.TERMS_ACCEPTED


def test_a_rejection_needs_a_reason_and_the_offer_can_be_corrected_and_sent_again(world):
    provider, insurer, user = world
    coop = services.send_offer(ready_offer(provider, insurer, user), actor=user)
    with pytest.raises(services.CooperationError):
        services.decide(coop, accept=False, reason=" ", actor=None)
    coop = services.decide(coop, accept=False, reason="Brak wpisu do rejestru", actor=None)
    assert (coop.status, coop.decision_reason) == (S.REJECTED, "Brak wpisu do rejestru")
    coop = services.start(coop, terms_version="2.0", understood=True, actor=user)
    assert (coop.status, coop.decision_reason) == (S.TERMS_ACCEPTED, "")


def test_ending_needs_a_confirmation(world):
    provider, insurer, user = world
    coop = services.decide(
        services.send_offer(ready_offer(provider, insurer, user), actor=user), accept=True, reason="", actor=None
    )
    with pytest.raises(services.CooperationError):
        services.end(coop, confirmed=False, actor=user)
    assert Cooperation.objects.get(pk=coop.pk).status == S.ACTIVE


ALLOWED = [
    (S.NONE, S.TERMS_ACCEPTED),
    (S.TERMS_ACCEPTED, S.OFFER_SENT),
    (S.OFFER_SENT, S.ACTIVE),
    (S.OFFER_SENT, S.REJECTED),
    (S.ACTIVE, S.ENDED),
    (S.REJECTED, S.TERMS_ACCEPTED),
    (S.ENDED, S.TERMS_ACCEPTED),
]
ALL_PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


@pytest.mark.parametrize("move", ALLOWED, ids=lambda m: f"{m[0]}->{m[1]}")
def test_allowed_cooperation_transitions(world, move):
    provider, insurer, _ = world
    coop = Cooperation.objects.create(provider=provider, insurer=insurer, status=move[0])
    COOPERATION.move(coop, move[1], actor_label="test")
    assert Cooperation.objects.get(pk=coop.pk).status == move[1]


@pytest.mark.parametrize("move", [m for m in ALL_PAIRS if m not in ALLOWED], ids=lambda m: f"{m[0]}->{m[1]}")
def test_refused_cooperation_transitions(world, move):
    provider, insurer, _ = world
    coop = Cooperation.objects.create(provider=provider, insurer=insurer, status=move[0])
    with pytest.raises(TransitionRefused):
        COOPERATION.move(coop, move[1], actor_label="test")
    assert Cooperation.objects.get(pk=coop.pk).status == move[0]
