"""What booking does when another capability asks (in-transaction receivers)."""

from django.dispatch import receiver

from terminarz.accounts.services import account_erasing
from terminarz.core.audit import record_audit

from .models import AccountCalendarFeed, Appointment


@receiver(account_erasing, dispatch_uid="booking.unlink_erased_account")
def unlink_erased_account(sender, *, account, primary: bool, **kwargs) -> None:
    """Visits stay with the providers (medical documentation), without the link to the account."""
    AccountCalendarFeed.objects.filter(account=account).delete()  # its link stops at once
    visits = Appointment.objects.filter(account=account)
    provider_ids = set(visits.values_list("provider_id", flat=True)) if primary else set()
    visits.update(account=None)
    for provider_id in sorted(provider_ids):
        record_audit(
            provider_id=provider_id,
            action="account.deleted",
            target=account,
            summary="Pacjent usunął konto w portalu; wizyty pozostają w kartotece placówki",
        )
