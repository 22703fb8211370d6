"""A1 on PostgreSQL with one connection per thread: two operators approve, at the same moment,
two different applications for the same facility (one NIP). Exactly one provider is opened;
the other approval is refused and leaves nothing behind (no admin account, no provider)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from terminarz.onboarding import services
from terminarz.onboarding.models import ProviderApplication
from terminarz.providers.models import Provider
from tests.concurrency.parallel import run_lined_up
from tests.conftest import require_postgres
from tests.onboarding.helpers import application_data, extract

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_approvals_for_one_nip_open_one_provider():
    require_postgres(connection)
    operators = [
        get_user_model().objects.create_user(f"operator{i}", f"op{i}@terminarz.local", "x", is_staff=True)
        for i in range(2)
    ]
    applications = []
    for i in range(2):
        draft = services.save_draft(
            application_data(email=f"wnioskodawca{i}@example.com"), facility=None, extract=extract()
        )
        sent = services.submit(draft, accepted=True)
        applications.append(services.confirm_email(sent.pk, sent.email_token))
    outcomes = run_lined_up(
        [
            lambda a=application, o=operator: services.approve(a, actor=o)
            for application, operator in zip(applications, operators, strict=True)
        ]
    )
    approved = [o for o in outcomes if isinstance(o, ProviderApplication)]
    refused = [o for o in outcomes if isinstance(o, services.OnboardingError)]
    assert (len(approved), len(refused)) == (1, 1)
    assert refused[0].message == "Ta placówka ma już konto w Terminarzu. Odrzuć wniosek z tym powodem."
    assert Provider.objects.filter(nip=applications[0].nip).count() == 1
    loser = applications[outcomes.index(refused[0])]
    assert get_user_model().objects.filter(username=loser.email).exists() is False
    assert sorted(ProviderApplication.objects.values_list("status", flat=True)) == ["approved", "submitted"]
