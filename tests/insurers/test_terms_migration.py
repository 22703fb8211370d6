"""insurers 0007 and 0008: the insurers' terms move into `legal.TermsDocument` (one terms model, A3), run
on real rows – the database goes back to before it, an insurer's general and thematic versions
with a cooperation, a thematic service and an acceptance are written with the models of that
time, and it is migrated forward again: every version is copied with its dates and publisher,
and every reference points at its copy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from terminarz.core.models import AuditEntry
from terminarz.insurers.models import Cooperation, InsurerTerms, ThematicAcceptance, ThematicService
from terminarz.legal.models import TermsDocument
from tests.factories import make_provider

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("insurers", "0006_ols"), ("legal", "0004_termsacceptance_provider_ref_and_more")]
PUBLISHED = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
EFFECTIVE = dt.datetime(2026, 10, 15, 0, 0, tzinfo=dt.UTC)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_rows():
    provider = make_provider()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        Insurer = old.get_model("insurers", "Insurer")
        Terms = old.get_model("insurers", "InsurerTerms")
        insurer = Insurer._default_manager.create(name="TU Zdrowie", slug="tu-zdrowie", nip="5260250274")
        common = {"insurer_id": insurer.pk, "body": "§ 1.", "effective_from": EFFECTIVE, "published_at": PUBLISHED}
        general = Terms._default_manager.create(kind="general", title="Regulamin", version="1.0", **common)
        Terms._default_manager.create(kind="general", title="Regulamin", version="2.0", **common)
        thematic = Terms._default_manager.create(
            kind="thematic", area="consultations", title="Konsultacje", version="1.0", **common
        )
        old.get_model("insurers", "Cooperation")._default_manager.create(
            provider_id=provider.pk, insurer_id=insurer.pk, status="active", terms_id=general.pk
        )
        service = old.get_model("insurers", "ThematicService")._default_manager.create(
            terms_id=thematic.pk, code="K1", name="Konsultacja", limit=Decimal("150.00")
        )
        old.get_model("insurers", "ThematicAcceptance")._default_manager.create(
            provider_id=provider.pk, terms_id=thematic.pk, accepted_at=PUBLISHED
        )
        AuditEntry.unscoped.create(  # core's schema is the same before and after
            provider_id=provider.pk,
            at=PUBLISHED,
            action="ols.terms_accepted",
            object_type="insurerterms",
            object_id=str(thematic.pk),
            summary="Akceptacja regulaminu tematycznego",
            actor_label="system",
        )
        MigrationExecutor(connection).migrate(latest())
        yield {"provider": provider, "insurer_id": insurer.pk, "service_id": service.pk}
    finally:
        MigrationExecutor(connection).migrate(latest())


def test_the_insurers_terms_become_terms_documents(old_rows):
    copied = list(
        TermsDocument.objects.filter(insurer_ref=old_rows["insurer_id"])
        .order_by("kind", "version")
        .values_list("kind", "area", "title", "version", "effective_from", "created_at")
    )
    assert copied == [
        ("insurer_general", "", "Regulamin", "1.0", EFFECTIVE, PUBLISHED),
        ("insurer_general", "", "Regulamin", "2.0", EFFECTIVE, PUBLISHED),
        ("insurer_thematic", "consultations", "Konsultacje", "1.0", EFFECTIVE, PUBLISHED),
    ]
    coop = Cooperation.unscoped.get(provider=old_rows["provider"])
    service = ThematicService.objects.get(pk=old_rows["service_id"])
    acceptance = ThematicAcceptance.unscoped.get(provider=old_rows["provider"])
    assert (coop.terms.kind, coop.terms.version, coop.terms.insurer.slug) == ("insurer_general", "1.0", "tu-zdrowie")
    assert (service.terms.kind, service.terms.title, acceptance.terms_id) == (
        "insurer_thematic",
        "Konsultacje",
        service.terms_id,
    )
    assert InsurerTerms.objects.filter(insurer_ref=old_rows["insurer_id"]).count() == 3
    audit = AuditEntry.objects.get(provider=old_rows["provider"], action="ols.terms_accepted")
    assert (audit.object_type, audit.object_id) == ("insurerterms", str(service.terms_id))
