"""I1 (003 "potwierdzenia wizyt czy przypomnienia SMS"): a booking confirmation by SMS when the
provider turns it on, worded by the provider like the other messages."""

import pytest

from terminarz.booking.services import book_appointment, book_for_patient
from terminarz.notifications.models import Message
from terminarz.notifications.services import deliver_message, save_message_template
from terminarz.patients.services import match_or_create_patient
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic
from tests.notifications.test_sms import gateway  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(today):
    provider, _, _, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    return {"provider": provider, "slots": slots}


def confirmations(channel: str) -> list[Message]:
    return list(Message.objects.filter(kind="booking_confirmation", channel=channel))


def switch_on(provider) -> None:
    rules = settings_for(provider.pk)
    rules.confirmation_sms = True
    rules.save()


def test_no_sms_confirmation_until_the_provider_turns_it_on(world):
    book_appointment(world["slots"][0].pk, PATIENT)
    assert len(confirmations("email")) == 1 and confirmations("sms") == []


def test_online_and_desk_bookings_are_confirmed_by_sms(world, gateway, frozen):  # noqa: F811
    switch_on(world["provider"])
    online = book_appointment(world["slots"][0].pk, PATIENT)
    patient = match_or_create_patient(
        world["provider"], first_name="Jan", last_name="Desk", email="", phone="601 200 300", pesel=""
    )
    desk = book_for_patient(world["slots"][1].pk, patient, actor=make_user("rachel", world["provider"], "registrar"))
    sms = {m.context["appointment"]: m for m in confirmations("sms")}
    assert set(sms) == {online.pk, desk.pk}
    assert (sms[online.pk].recipient, sms[desk.pk].recipient) == ("48600100200", "48601200300")
    assert deliver_message(sms[online.pk].pk) == "sent"
    (sent,) = gateway.sent
    assert sent["message"].startswith(f"{world['provider'].name}: zarezerwowano wizyte {online.reference}: ")


def test_no_phone_no_sms(world):
    switch_on(world["provider"])
    book_appointment(world["slots"][0].pk, {**PATIENT, "phone": ""})
    assert confirmations("sms") == []


def test_the_provider_words_the_sms(world, gateway):  # noqa: F811
    switch_on(world["provider"])
    save_message_template(
        world["provider"],
        actor=None,
        kind="booking_confirmation",
        channel="sms",
        subject="",
        body="Do zobaczenia {data} o {godzina}! Nr {numer}.",
    )
    visit = book_appointment(world["slots"][0].pk, PATIENT)
    deliver_message(confirmations("sms")[0].pk)
    (sent,) = gateway.sent
    assert sent["message"].startswith("Do zobaczenia ") and sent["message"].endswith(f"Nr {visit.reference}.")
