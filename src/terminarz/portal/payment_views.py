"""The patient's payment pages (H5) and the gateways' notification endpoint (H8).

The payment page is reached by the link from the e-mail/SMS (or the booking's confirmation
page): it shows the visit, the amount and the deadline and sends the patient to the gateway.
The gateway brings the patient back to the return page and, separately, notifies
`payment_notify`, which is the only thing that confirms a payment."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from terminarz.core import clock
from terminarz.payments import gateways
from terminarz.payments import services as payments
from terminarz.payments.gateways.base import GatewayError
from terminarz.payments.models import GatewayName, Payment

from .views import _rate


def _payment(payment_id: int, token: str, *, purpose: str = "link") -> Payment:
    payment = (
        Payment.objects.select_related(
            "appointment__practitioner", "appointment__unit__location", "appointment__provider", "appointment__slot"
        )
        .filter(pk=payment_id)
        .first()
        if 0 < payment_id < 2**63
        else None
    )
    matches = payment.return_token_matches if purpose == "return" and payment else None
    if payment is None or not token or not (matches or payment.token_matches)(token):
        raise Http404
    return payment


def _context(payment: Payment, token: str, **extra) -> dict:
    appointment = payment.appointment
    return {
        "payment": payment,
        "appointment": appointment,
        "token": token,
        "visit_url": reverse("portal:confirmation", args=[appointment.pk]) + f"?t={appointment.cancel_token}",
        "can_pay": payment.status in ("pending", "waived")
        and appointment.status in ("held", "confirmed")
        and not (payment.required and payment.deadline and payment.deadline <= clock.now()),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("RATELIMIT_BOOKING"), method="POST", block=True)
def payment(request, payment_id: int):
    token = request.POST.get("t") or request.GET.get("t", "")
    found = _payment(payment_id, token)
    error = ""
    if request.method == "POST":
        try:
            started = payments.start_payment(found, language=translation.get_language() or "pl")
        except payments.PaymentError as exc:
            error = exc.message
        except GatewayError:
            error = translation.gettext(
                "Nie udało się połączyć z operatorem płatności. Spróbuj ponownie za chwilę – rezerwacja czeka."
            )
        else:
            if started.form:  # the gateway wants the start as a form POST (Autopay)
                return render(request, "portal/payment_redirect.html", {"started": started, "payment": found})
            return redirect(started.redirect_url)
    return render(request, "portal/payment.html", _context(found, token, error=error), status=422 if error else 200)


def payment_return(request, payment_id: int):
    """Where the gateway sends the patient back: the status as we know it (the notification
    may come a moment later – the page says so and refreshes itself). Its token is only for
    this page: the gateways see it, so it opens neither the payment page nor the visit."""
    token = request.GET.get("t", "")
    found = _payment(payment_id, token, purpose="return")
    return render(request, "portal/payment_return.html", {"payment": found, "appointment": found.appointment})


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate=_rate("RATELIMIT_PAYMENT_NOTIFY"), block=True)
def payment_notify(request, gateway: str):
    if gateway not in GatewayName.values or not gateways.configured(gateway):
        raise Http404
    try:
        answer = payments.handle_notification(gateway, request.body, request.content_type or "")
    except GatewayError:
        return HttpResponse("retry", status=503, content_type="text/plain")
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
