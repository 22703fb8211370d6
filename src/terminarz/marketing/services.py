"""I2 marketing campaigns: who may get one (the current consent of the patient's account on
the campaign's channel), sending it through the outbox at a limited pace, unsubscribing by the
link in every message (which withdraws the consent, kept in its history), and the report."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from terminarz.accounts.models import Consent, current_consents, record_consents
from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import Machine
from terminarz.notifications.models import Message, MessageStatus
from terminarz.notifications.registry import register_guard
from terminarz.notifications.services import queue_prepared
from terminarz.notifications.sms import normalize_phone
from terminarz.notifications.templating import render
from terminarz.patients.models import Patient

from .models import Campaign, CampaignRecipient

S = Campaign.Status
CAMPAIGN = Machine(
    Campaign,
    transitions={"": {S.DRAFT}, S.DRAFT: {S.SENT}, S.SENT: set()},
    subject="kampanii",
    name="campaign",
    audit=False,
)
CONSENT_OF = {Campaign.Channel.EMAIL: Consent.Kind.MARKETING_EMAIL, Campaign.Channel.SMS: Consent.Kind.MARKETING_SMS}
UNSUBSCRIBE_SALT = "terminarz.marketing.unsubscribe"


def audience(campaign: Campaign) -> list[tuple[Patient, str]]:
    """The provider's patients (of the unit chosen, by a visit there) whose account's latest
    decision on the campaign's channel is "yes", with the address or number to use; someone
    without one on that channel is left out."""
    latest = (
        Consent.objects.filter(user=OuterRef("account_id"), kind=CONSENT_OF[Campaign.Channel(campaign.channel)])
        .order_by("-at", "-pk")
        .values("granted")[:1]
    )
    patients = (
        Patient.objects.filter(provider_id=campaign.provider_id, account__isnull=False, account__is_active=True)
        .annotate(consent=Subquery(latest))
        .filter(consent=True)
        .select_related("account__patient_profile")
        .order_by("account_id", "pk")
    )
    if campaign.unit_id:
        patients = patients.filter(appointments__unit_id=campaign.unit_id).distinct()
    people: list[tuple[Patient, str]] = []
    seen: set[int] = set()
    for patient in patients:
        account = patient.account
        assert account is not None
        if account.pk in seen:  # one message an account (it may book for others: more records)
            continue
        seen.add(account.pk)
        # The account's own address or number: the consent is the account holder's.
        if campaign.channel == Campaign.Channel.EMAIL:
            contact = account.email
        else:
            profile = getattr(account, "patient_profile", None)
            contact = normalize_phone(profile.phone if profile else "") or ""
        if contact:
            people.append((patient, contact))
    return people


def unsubscribe_token(recipient: CampaignRecipient) -> str:
    return signing.dumps(recipient.pk, salt=UNSUBSCRIBE_SALT)


def recipient_of(token: str) -> CampaignRecipient | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return CampaignRecipient.objects.select_related("campaign__provider").filter(pk=pk).first()


def message_text(campaign: Campaign, values: dict[str, str], link: str) -> str:
    """The provider's text with the patient's values, and always the way out."""
    footer = _("Rezygnacja z informacji marketingowych: %(link)s") % {"link": link}
    if campaign.channel == Campaign.Channel.SMS:
        return f"{render(campaign.body, values)} {footer}"
    notice = _(
        "Nadawca: %(clinic)s. Otrzymujesz tę wiadomość, ponieważ na koncie pacjenta wyrażono zgodę na "
        "informacje marketingowe e-mailem."
    ) % {"clinic": campaign.provider.name}
    return f"{render(campaign.body, values)}\n\n--\n{notice}\n{footer}"


def send_campaign(campaign: Campaign, *, actor, now: dt.datetime | None = None) -> int:
    """Send once (a second submit is refused by the status): each consenting patient's message
    goes to the outbox, at most `MARKETING_PER_MINUTE` a minute. Returns how many."""
    now = now or clock.now()
    per_minute = max(1, settings.MARKETING_PER_MINUTE)
    site = str(settings.SITE_URL).rstrip("/")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("provider").get(pk=campaign.pk)
        CAMPAIGN.move(locked, S.SENT, actor=actor, now=now, sent_at=now)
        people = audience(locked)
        for i, (patient, contact) in enumerate(people):
            recipient = CampaignRecipient.objects.create(campaign=locked, patient=patient, account=patient.account)
            link = site + reverse("marketing-unsubscribe", args=[unsubscribe_token(recipient)])
            values = {
                "imie": patient.first_name,
                "nazwisko": patient.last_name,
                "placowka": locked.provider.name,
                "telefon": locked.provider.phone or "",
                "link_rezygnacji": link,
            }
            body = message_text(locked, values, link)
            recipient.message = queue_prepared(
                channel=locked.channel,
                provider=locked.provider,
                kind="marketing",
                recipient=contact,
                subject=" ".join((render(locked.subject, values) if locked.subject else locked.name).split()),
                body=body,
                html_body=linebreaks(escape(body)) if locked.channel == Campaign.Channel.EMAIL else "",
                idempotency_key=f"marketing:{recipient.pk}",
                patient=patient,
                not_before=now + dt.timedelta(minutes=i // per_minute),
            )
            recipient.save(update_fields=["message"])
        Campaign.objects.filter(pk=locked.pk).update(recipients_count=len(people))
        record_audit(
            provider_id=locked.provider_id,
            action="campaign.sent",
            target=locked,
            summary=f"Wysłano kampanię „{locked.name}” ({len(people)} odbiorców)",
            actor=actor,
        )
    return len(people)


def unsubscribe(recipient: CampaignRecipient, *, now: dt.datetime | None = None) -> None:
    """The link in the message: the account's consent on that channel is withdrawn (a new row
    in its history, source "unsubscribe"); a second click changes nothing."""
    kind = CONSENT_OF[Campaign.Channel(recipient.campaign.channel)]
    with transaction.atomic():
        if recipient.account is not None:
            record_consents(recipient.account, {kind: False}, source="unsubscribe")
        if recipient.unsubscribed_at is None:
            CampaignRecipient.objects.filter(pk=recipient.pk).update(unsubscribed_at=now or clock.now())


def report(campaign: Campaign) -> dict:
    """How the campaign's messages fared: by outbox status and by the gateway's delivery status."""
    messages = Message.objects.filter(pk__in=campaign.recipients.values("message_id"))
    by_status = dict(messages.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    delivered = dict(
        messages.exclude(delivery_status="")
        .values_list("delivery_status")
        .annotate(n=Count("pk"))
        .values_list("delivery_status", "n")
    )
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in MessageStatus.choices],
        "delivery": sorted(delivered.items()),
        "unsubscribed": campaign.recipients.filter(unsubscribed_at__isnull=False).count(),
    }


@register_guard("marketing")
def consent_still_given(message) -> str:
    """At delivery (messages are spread over time): the recipient's consent on the channel must
    still be given and the account still there, else the message is not sent."""
    recipient = CampaignRecipient.objects.filter(message_id=message.pk).select_related("campaign", "account").first()
    if recipient is None:
        return ""
    account = recipient.account
    if account is None or not account.is_active:
        return "konto pacjenta usunięte – nie wysłano"
    if not current_consents(account).get(CONSENT_OF[Campaign.Channel(recipient.campaign.channel)]):
        return "zgoda na informacje marketingowe wycofana – nie wysłano"
    return ""
