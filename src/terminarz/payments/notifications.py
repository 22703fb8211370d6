"""What payment messages need when the worker renders them (link, reminder, cancellation)."""

from terminarz.booking.notifications import visit_context
from terminarz.notifications.registry import register_context

from .models import Payment


@register_context("payment_link")
@register_context("payment_optional")
@register_context("payment_reminder")
@register_context("payment_cancelled")
def payment_context(stored: dict) -> dict:
    from .services import pay_url

    payment = Payment.objects.select_related(
        "appointment__practitioner", "appointment__unit__location", "appointment__provider", "appointment__account"
    ).get(pk=stored["payment"])
    return visit_context(payment.appointment, payment=payment, pay_url=pay_url(payment))
