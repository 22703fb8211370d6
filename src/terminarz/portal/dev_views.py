"""Demo-only mailbox: the e-mails and SMS the outbox sent, so a demo user can follow their links."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from terminarz.notifications.models import Message


def _demo_only():
    if not settings.DEMO_MODE:
        raise Http404


def mailbox(request):
    _demo_only()
    outbox = Message.objects.all()[:100]
    return render(request, "portal/dev_mailbox.html", {"outbox": outbox})


def mailbox_message(request, pk: int):
    _demo_only()
    message = get_object_or_404(Message, pk=pk)
    return render(request, "portal/dev_message.html", {"message": message})
