"""G4: insurers the provider actively cooperates with become its payers – by the import
("Pobierz płatników") and by themselves when a cooperation becomes active or ends."""

import pytest
from django.contrib.auth import get_user_model

from terminarz.catalog.models import Payer
from terminarz.core.models import AuditEntry
from terminarz.insurers import payers, services
from terminarz.insurers.models import Insurer
from tests.factories import make_provider
from tests.insurers.helpers import cooperate, make_insurer, payer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(frozen):
    provider = make_provider()
    user = get_user_model().objects.create_user("ada", password="x")
    return provider, make_insurer(), make_insurer("ump", "Ubezpieczenia Medyczne Polska", nip=""), user


def import_summaries(provider):
    return list(
        AuditEntry.objects.filter(provider_id=provider.pk, action="payers.imported")
        .order_by("pk")
        .values_list("summary", flat=True)
    )


def test_an_accepted_offer_makes_the_insurer_a_payer(world):
    provider, tu, _ump, user = world
    cooperate(provider, tu, user, until="offer_sent")
    assert Payer.objects.filter(provider=provider).count() == 0
    services.decide(services.cooperation(provider.pk, tu), accept=True, reason="", actor=None)
    payer = payer_of(provider, tu)
    assert (payer.name, payer.nip, payer.is_active) == ("TU Zdrowie", "5260250274", True)
    assert import_summaries(provider) == ["Zaimportowano 1 płatnika: dodano 1, zaktualizowano 0, usunięto 0."]


def test_a_rejected_offer_makes_no_payer(world):
    provider, tu, _ump, user = world
    coop = cooperate(provider, tu, user, until="offer_sent")
    services.decide(coop, accept=False, reason="Brak polisy OC.", actor=None)
    assert Payer.objects.filter(provider=provider).count() == 0


def test_the_import_adds_updates_and_removes_with_the_seed_audit_line(world):
    provider, tu, ump, user = world
    cooperate(provider, tu, user)
    cooperate(provider, ump, user)
    Insurer.objects.filter(pk=tu.pk).update(name="TU Zdrowie S.A.")
    services.end(services.cooperation(provider.pk, ump), confirmed=True, actor=user)
    # ending UMP already ran the import: UMP removed, and TU's new name taken over
    assert import_summaries(provider)[-1] == "Zaimportowano 1 płatnika: dodano 0, zaktualizowano 1, usunięto 1."
    assert payer_of(provider, tu).name == "TU Zdrowie S.A."
    assert payer_of(provider, ump).is_active is False  # kept for the visits that name it
    result = payers.import_payers(provider.pk, actor=user)
    assert (result.total, result.added, result.updated, result.removed) == (1, 0, 0, 0)
    assert import_summaries(provider)[-1] == "Zaimportowano 1 płatnika: dodano 0, zaktualizowano 0, usunięto 0."


def test_plural_forms_of_the_import_line(world):
    assert (
        payers.ImportResult(0, 0, 0, 0).summary == "Zaimportowano 0 płatników: dodano 0, zaktualizowano 0, usunięto 0."
    )
    assert (
        payers.ImportResult(2, 2, 0, 0).summary == "Zaimportowano 2 płatników: dodano 2, zaktualizowano 0, usunięto 0."
    )
    assert (
        payers.ImportResult(5, 0, 5, 0).summary == "Zaimportowano 5 płatników: dodano 0, zaktualizowano 5, usunięto 0."
    )


def test_a_renewed_cooperation_reactivates_the_same_payer(world):
    provider, tu, _ump, user = world
    cooperate(provider, tu, user)
    first = payer_of(provider, tu)
    coop = services.end(services.cooperation(provider.pk, tu), confirmed=True, actor=user)
    coop = services.start(coop, terms_version="1.0", understood=True, actor=user)
    coop = services.send_offer(coop, actor=user)
    services.decide(coop, accept=True, reason="", actor=None)
    again = payer_of(provider, tu)
    assert (again.pk, again.is_active) == (first.pk, True)


def test_another_providers_cooperation_is_not_imported(world):
    provider, tu, _ump, user = world
    other = make_provider(name="Inna placówka")
    cooperate(other, tu, user)
    result = payers.import_payers(provider.pk, actor=user)
    assert (result.total, Payer.objects.filter(provider=provider).count()) == (0, 0)
    assert Payer.objects.filter(provider=other).count() == 1
