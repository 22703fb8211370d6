"""A3 "Regulaminy": the versions in force of the terms the provider works under, who accepted
which version and when, "Pobierz regulamin" (PDF), and "Akceptuję regulamin" → "Akceptuj" for
the admin; a version announced for a later date can be accepted ahead of it. The insurance
service's terms are accepted where the service is switched on ("Ubezpieczenia")."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.legal import services as legal
from terminarz.legal.models import TermsDocument

from .access import clinic_view

KINDS = ("provider", "insurance")


class AcceptForm(forms.Form):
    accept = forms.BooleanField(label=_("Akceptuję regulamin"), required=False)
    version = forms.CharField(widget=forms.HiddenInput, required=False)


@require_http_methods(["GET", "POST"])
@clinic_view("")
def terms(request):
    now = clock.now()
    # binding terms are accepted by the provider's administrator (the role, not a single grant)
    may_accept = request.membership.role == "admin"
    if request.method == "POST":
        if not may_accept:
            raise Http404
        form = AcceptForm(request.POST)
        if form.is_valid() and form.cleaned_data["accept"] and form.cleaned_data["version"]:
            version = form.cleaned_data["version"]
            try:
                legal.provider_accepts(
                    request.provider.pk, kind="provider", user=request.user, now=now, version=version
                )
            except TermsDocument.DoesNotExist:
                raise Http404 from None
            messages.success(request, gettext("Regulamin zaakceptowany."))
            return redirect("clinic:terms")
        messages.error(request, gettext("Zaznacz „Akceptuję regulamin”, aby go zaakceptować."))
    rows = []
    for kind in KINDS:
        document = legal.in_force(kind, now)
        later = legal.upcoming(kind, now)
        acceptance = legal.accepted_by_provider(document, request.provider.pk)
        rows.append(
            {
                "kind": kind,
                "document": document,
                "acceptance": acceptance,
                "who": _who(acceptance),
                "upcoming": later,
                "upcoming_acceptance": legal.accepted_by_provider(later, request.provider.pk) if later else None,
            }
        )
    return render(request, "clinic/terms.html", {"rows": rows, "may_accept": may_accept, "form": AcceptForm()})


@clinic_view("")
def terms_pdf(request, document_id: int):
    document = TermsDocument.objects.filter(pk=document_id, kind__in=KINDS).first()
    if document is None:
        raise Http404
    response = HttpResponse(legal.as_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="regulamin-{document.kind}-{document.pk}.pdf"'
    return response


def _who(acceptance) -> str:
    if acceptance is None:
        return ""
    if acceptance.user is not None:
        return acceptance.user.get_full_name() or acceptance.user.get_username()
    if acceptance.channel == "onboarding":
        return gettext("przy przystąpieniu do Terminarza")
    return "–"
