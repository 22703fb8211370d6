"""Patient account rules that change data (E3)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.dispatch import Signal

from terminarz.factors.models import EmailDevice
from terminarz.patients.models import Patient
from terminarz.patients.services import attach_account_card

from .models import PatientProfile

# Sent inside the erasing transaction for every account that goes (the patient's own and their
# sub-accounts that cannot sign in by themselves). Receivers in the apps that keep data linked to
# an account unlink or empty it there (booking: visits stay with the providers, unlinked; the
# waiting list: entries withdrawn and their contact data emptied). `primary` is True for the
# account whose owner asked.
account_erasing = Signal()


def erase_patient_account(user) -> None:
    """RODO: the account and its personal data go; visits stay in the providers' records (the
    law requires them to keep medical documentation), without the link to the account."""
    with transaction.atomic():
        account_erasing.send(sender=type(user), account=user, primary=True)
        # Sub-accounts made here cannot sign in by themselves: they go too; attached ones stay.
        for dependent in [p.user for p in PatientProfile.objects.filter(guardian=user).select_related("user")]:
            if not dependent.has_usable_password():
                account_erasing.send(sender=type(user), account=dependent, primary=False)
                PatientProfile.objects.filter(user=dependent).delete()
                dependent.is_active = False
                dependent.first_name = dependent.last_name = ""
                dependent.save()
        PatientProfile.objects.filter(guardian=user).update(guardian=None)
        PatientProfile.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        EmailDevice.objects.filter(user=user).delete()
        user.username = f"usuniete-{user.pk}"
        user.email = ""
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()


def patient_profile(user) -> PatientProfile:
    profile, _ = PatientProfile.objects.get_or_create(user=user)
    return profile


def update_profile(user, *, first_name: str, last_name: str, pesel: str, phone: str, card_number: str) -> None:
    """E3 "Moje dane" (validated by the form): the account's name and personal data; a card
    number reaches the provider records created for this account's bookings as an inactive
    card (E6)."""
    with transaction.atomic():
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        profile = patient_profile(user)
        profile.pesel, profile.phone, profile.card_number = pesel, phone.strip(), card_number.upper()
        profile.save()
        if profile.card_number:
            for patient in Patient.objects.filter(account=user):
                attach_account_card(patient, profile.card_number)
