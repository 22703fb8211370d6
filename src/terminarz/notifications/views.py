"""Delivery-status callbacks of the SMS gateway (SMSAPI-style: GET with MsgId and status)."""

import hmac

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden

from .models import Message

DELIVERED = {"DELIVERED", "404"}


def sms_status(request):
    secret = settings.SMS_CALLBACK_SECRET
    if not secret or not hmac.compare_digest(request.GET.get("secret", ""), secret):
        return HttpResponseForbidden("forbidden")
    ids = [i for i in request.GET.get("MsgId", "").split(",") if i][:100]
    statuses = request.GET.get("status_name") or request.GET.get("status", "")
    names = statuses.split(",") if statuses else []
    for n, external_id in enumerate(ids):
        name = (names[n] if n < len(names) else (names[-1] if names else ""))[:30]
        Message.objects.filter(channel=Message.Channel.SMS, external_id=external_id).update(delivery_status=name)
    return HttpResponse("OK", content_type="text/plain")


def is_delivered(message: Message) -> bool:
    return message.delivery_status.upper() in DELIVERED
