from decimal import Decimal

from django.utils.translation import gettext as _
from django_tasks import task

from terminarz.core import clock
from terminarz.core.tenancy import system_task


@task()
@system_task
def expire_unpaid_task() -> int:
    """Cancel bookings whose payment deadline passed (search already offers their slots)."""
    from .services import due_for_expiry, expire_unpaid

    return sum(1 for pk in due_for_expiry(clock.now()) if expire_unpaid(pk))


@task()
@system_task
def payment_reminders_task() -> int:
    from .services import send_due_reminders

    return send_due_reminders()


@task()
@system_task
def appointment_ended_task(appointment_id: int, by: str) -> None:
    from .services import appointment_ended

    appointment_ended(appointment_id, by=by)


@task()
@system_task
def refund_late_payment_task(payment_id: int, amount: str, attempt_id: int) -> None:
    from .models import Payment
    from .services import PaymentError, _refund_left_to_clinic, request_refund

    try:
        request_refund(Payment.objects.get(pk=payment_id), Decimal(amount), reason=_("wpłata po anulowaniu rezerwacji"))
    except PaymentError as exc:
        _refund_left_to_clinic(payment_id, exc.message, now=clock.now())


@task()
@system_task
def call_refund_task(refund_id: int) -> bool:
    from .services import call_refund

    return call_refund(refund_id)


@task()
@system_task
def refund_surplus_task(attempt_id: int) -> None:
    from .services import refund_surplus

    refund_surplus(attempt_id)
