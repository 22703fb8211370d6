"""I2: the unsubscribe link of a marketing message (no sign-in needed: the signed link names
the message). A GET only asks (mail scanners open links); the POST withdraws the consent."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from terminarz.core.tenancy import system_scope
from terminarz.marketing import services
from terminarz.marketing.models import Campaign


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    with system_scope():
        recipient = services.recipient_of(token)
        if recipient is None:
            raise Http404
        done = False
        if request.method == "POST":
            services.unsubscribe(recipient)
            done = True
        campaign = recipient.campaign
        return render(
            request,
            "marketing/unsubscribe.html",
            {"clinic": campaign.provider.name, "sms": campaign.channel == Campaign.Channel.SMS, "done": done},
        )
