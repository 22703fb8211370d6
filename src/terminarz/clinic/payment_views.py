"""Online payments in the back-office: settings and rules (H1–H3, H5), one visit's payment
(H6: waive, new deadline, resend the link, refund) and the "Płatności online" report with its
XLSX export (H7). Thin: forms check input, `payments.services` changes things."""

import datetime as dt
import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from terminarz.catalog.models import Service
from terminarz.core import audit, clock
from terminarz.core.audit import record_audit
from terminarz.patients.validation import no_control_characters
from terminarz.payments import invoices
from terminarz.payments import rules as payment_rules
from terminarz.payments import services as payments
from terminarz.payments.models import (
    AmountKind,
    DeadlineKind,
    GatewayName,
    Invoice,
    Payment,
    PaymentRule,
    PaymentSettings,
    PaymentStatus,
)
from terminarz.providers.models import Unit
from terminarz.staff.models import Practitioner

from . import scope
from .access import clinic_view, get_for_provider
from .bookings import _safe

# -- settings and rules ---------------------------------------------------------------------

SETTINGS_SECTIONS = [
    (_("Operator i zasady ogólne"), ["enabled", "gateway", "first_time_mandatory", "blacklist_mandatory"]),
    (
        _("Link do płatności i przypomnienia"),
        ["link_email", "link_sms", "optional_links", "reminder_hours", "cancel_sms"],
    ),
    (_("Zwroty"), ["refund_hours"]),
]
RULE_FIELDS = [
    "requirement",
    "amount_kind",
    "deposit_amount",
    "deposit_percent",
    "deadline_kind",
    "deadline_hour",
    "close_after_hour",
    "hours_before_visit",
    "hours_after_booking",
]
RULE_HELP = {
    "requirement": _(
        "Obowiązkowa: termin jest tylko zarezerwowany, a wizyta zostaje potwierdzona po opłaceniu; bez płatności "
        "w terminie rezerwacja jest anulowana. Opcjonalna: wizyta jest potwierdzona od razu, pacjent dostaje link."
    ),
    "amount_kind": _("Pełna przedpłata to cena wizyty; zadatek to część ceny – kwota albo procent."),
    "deadline_kind": _(
        "Do godziny w dniu zapisu – np. do 20:00. Do terminu wizyty – np. najpóźniej 48 godz. przed wizytą. "
        "Od momentu zapisu – np. w ciągu 24 godz. od rezerwacji, ale nie później niż 2 godz. przed wizytą."
    ),
    "deadline_hour": _("Godzina (0–23), do której trzeba zapłacić w dniu zapisu."),
    "hours_before_visit": _("Płatność musi wpłynąć co najmniej tyle godzin przed wizytą."),
    "hours_after_booking": _("Ile godzin od rezerwacji pacjent ma na płatność."),
}


class PaymentSettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = [name for _title, names in SETTINGS_SECTIONS for name in names]

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in SETTINGS_SECTIONS]


class PaymentRuleForm(forms.ModelForm):
    """One rule: whether, how much and by when. `price` is the highest price the rule may
    apply to (a deposit above it is refused)."""

    class Meta:
        model = PaymentRule
        fields = RULE_FIELDS

    def __init__(self, *args, price: Decimal | None = None, inherit_deadline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.price = price
        for name, text in RULE_HELP.items():
            self.fields[name].help_text = text
        self.fields["close_after_hour"].help_text = PaymentRule._meta.get_field("close_after_hour").help_text
        kind = self.fields["deadline_kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", _("jak w zasadzie placówki") if inherit_deadline else _("24 godz. przed wizytą"))] + [
            c for c in DeadlineKind.choices
        ]
        self.fields["deposit_amount"].widget.attrs.update(min=0, step="0.01")

    def clean(self):
        cleaned = super().clean() or {}
        kind = cleaned.get("amount_kind")
        if kind == AmountKind.DEPOSIT_AMOUNT:
            amount = cleaned.get("deposit_amount")
            if amount is None and "deposit_amount" not in self.errors:
                self.add_error("deposit_amount", _("Podaj kwotę zadatku."))
            elif amount is not None and amount <= 0:
                self.add_error("deposit_amount", _("Zadatek musi być większy od zera."))
            elif amount is not None and self.price is not None and amount > self.price:
                self.add_error(
                    "deposit_amount",
                    _("Zadatek nie może być wyższy niż cena wizyty (%(price)s zł).")
                    % {"price": f"{self.price:.2f}".replace(".", ",")},
                )
        if (
            kind == AmountKind.DEPOSIT_PERCENT
            and not cleaned.get("deposit_percent")
            and "deposit_percent" not in self.errors
        ):
            self.add_error("deposit_percent", _("Podaj procent ceny (1–100)."))
        deadline = cleaned.get("deadline_kind")
        if (
            deadline == DeadlineKind.BY_HOUR
            and cleaned.get("deadline_hour") is None
            and "deadline_hour" not in self.errors
        ):
            self.add_error("deadline_hour", _("Podaj godzinę, do której trzeba zapłacić."))
        if deadline == DeadlineKind.AFTER_BOOKING and not cleaned.get("hours_after_booking"):
            if "hours_after_booking" not in self.errors:
                self.add_error("hours_after_booking", _("Podaj, ile godzin od zapisu pacjent ma na płatność."))
        if deadline == DeadlineKind.BEFORE_VISIT and cleaned.get("hours_before_visit") is None:
            if "hours_before_visit" not in self.errors:
                self.add_error("hours_before_visit", _("Podaj, ile godzin przed wizytą mija termin płatności."))
        return cleaned


def _highest_price(provider) -> Decimal | None:
    found = Service.objects.filter(provider=provider, is_active=True, self_service=True).aggregate(top=Max("price"))
    return found["top"]


def _save_audited(request, obj, before: dict, fields: list[str], action: str, summary: str) -> None:
    changed = audit.diff(before, audit.snapshot(obj, fields))
    if changed:
        record_audit(
            provider_id=request.provider.pk,
            action=action,
            target=obj,
            summary=summary,
            actor=request.user,
            changes=changed,
        )


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def payment_settings(request):
    provider = request.provider
    chosen = request.GET.get("cel", "")
    if ":" in chosen:  # "specjalista:12" / "usluga:7" from the rule chooser (works without JS)
        kind, _sep, target = chosen.partition(":")
        if kind in ("specjalista", "usluga") and target.isascii() and target.isdigit() and len(target) < 12:
            return redirect("clinic:payment-rule", kind=kind, target_id=int(target))
    current = PaymentSettings.objects.filter(provider=provider).first() or PaymentSettings(provider=provider)
    rule = PaymentRule.objects.filter(provider=provider, practitioner=None, service=None).first() or PaymentRule(
        provider=provider, deadline_kind=DeadlineKind.BEFORE_VISIT, hours_before_visit=24
    )
    # Before binding: a valid model form writes the new values onto its instance.
    before_s = audit.snapshot(current, PaymentSettingsForm.Meta.fields)
    before_r = audit.snapshot(rule, RULE_FIELDS)
    settings_form = PaymentSettingsForm(request.POST or None, instance=current, prefix="s")
    rule_form = PaymentRuleForm(request.POST or None, instance=rule, prefix="r", price=_highest_price(provider))
    if request.method == "POST" and settings_form.is_valid() and rule_form.is_valid():
        with transaction.atomic():
            saved = settings_form.save()
            saved_rule = rule_form.save()
            _save_audited(
                request,
                saved,
                before_s,
                PaymentSettingsForm.Meta.fields,
                "payments.settings",
                gettext("Zmieniono ustawienia płatności online"),
            )
            _save_audited(
                request,
                saved_rule,
                before_r,
                RULE_FIELDS,
                "payments.rule",
                gettext("Zmieniono zasadę płatności placówki"),
            )
        messages.success(request, gettext("Zapisano ustawienia płatności online."))
        return redirect("clinic:payment-settings")
    overrides = (
        PaymentRule.objects.filter(provider=provider)
        .filter(Q(practitioner__isnull=False) | Q(service__isnull=False))
        .select_related("practitioner", "service")
    )
    return render(
        request,
        "clinic/payment_settings.html",
        {
            "settings_form": settings_form,
            "rule_form": rule_form,
            "overrides": [(r, payment_rules.describe_deadline(r) if r.deadline_kind else "") for r in overrides],
            "practitioners": Practitioner.objects.filter(provider=provider).order_by("last_name", "first_name"),
            "services": Service.objects.filter(provider=provider, is_active=True).order_by("name"),
            "deadline_text": payment_rules.describe_deadline(rule),
        },
        status=422 if settings_form.errors or rule_form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def payment_rule_edit(request, kind: str, target_id: int):
    """The rule of one practitioner or one service, overriding the provider's."""
    provider = request.provider
    if kind == "specjalista":
        practitioner = get_for_provider(Practitioner.objects.all(), provider, target_id)
        lookup: dict[str, object] = {"practitioner": practitioner}
        title = practitioner.full_name
        service = visit_service_of(practitioner)
        price = service.price if service is not None else None
    elif kind == "usluga":
        service = get_for_provider(Service.objects.all(), provider, target_id)
        lookup = {"service": service}
        title = str(service)
        price = service.price
    else:
        raise Http404
    rule = PaymentRule.objects.filter(provider=provider, **lookup).first() or PaymentRule(provider=provider, **lookup)
    before = audit.snapshot(rule, RULE_FIELDS)
    form = PaymentRuleForm(request.POST or None, instance=rule, price=price, inherit_deadline=True)
    if request.method == "POST" and request.POST.get("action") == "delete" and rule.pk:
        with transaction.atomic():
            record_audit(
                provider_id=provider.pk,
                action="payments.rule_deleted",
                target=rule,
                summary=gettext("Usunięto zasadę płatności: %(target)s") % {"target": title},
                actor=request.user,
            )
            rule.delete()
        messages.success(request, gettext("Usunięto zasadę – obowiązuje zasada placówki."))
        return redirect("clinic:payment-settings")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            _save_audited(
                request,
                saved,
                before,
                RULE_FIELDS,
                "payments.rule",
                gettext("Zmieniono zasadę płatności: %(target)s") % {"target": title},
            )
        messages.success(request, gettext("Zapisano zasadę płatności: %(target)s.") % {"target": title})
        return redirect("clinic:payment-settings")
    return render(
        request,
        "clinic/payment_rule.html",
        {"form": form, "title": title, "rule": rule, "price": price},
        status=422 if form.errors else 200,
    )


def visit_service_of(practitioner: Practitioner) -> Service | None:
    """The practitioner's visit price (any unit): their cheapest public service."""
    return (
        Service.objects.filter(practitioners=practitioner, is_active=True, self_service=True, price__gt=0)
        .order_by("price", "pk")
        .first()
    )


# -- one visit's payment (H6) ---------------------------------------------------------------


class DeadlineForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("Nowy termin płatności"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "invalid": _("Podaj datę i godzinę, np. 2026-12-03 18:00."),
            "required": _("Podaj nowy termin."),
        },
    )
    resend = forms.BooleanField(label=_("Wyślij pacjentowi nowy link"), required=False, initial=True)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Kwota zwrotu (zł)"),
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"required": _("Podaj kwotę zwrotu.")},
    )
    reason = forms.CharField(label=_("Powód"), max_length=200, error_messages={"required": _("Podaj powód zwrotu.")})


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=_("Powód zwolnienia"),
        max_length=200,
        error_messages={"required": _("Podaj powód zwolnienia z płatności.")},
    )


class InvoiceForm(forms.Form):
    name = forms.CharField(
        label=_("Nabywca (imię i nazwisko lub firma)"), max_length=200, validators=[no_control_characters]
    )
    nip = forms.CharField(label=_("NIP nabywcy"), max_length=13, required=False, help_text=_("Puste – osoba prywatna."))
    street = forms.CharField(label=_("Ulica i numer"), max_length=200, validators=[no_control_characters])
    postal_code = forms.CharField(label=_("Kod pocztowy"), max_length=6, help_text=_("np. 31-146"))
    city = forms.CharField(label=_("Miejscowość"), max_length=100, validators=[no_control_characters])

    def clean_nip(self):
        from terminarz.payments.invoicing.document import is_valid_nip

        nip = self.cleaned_data["nip"].strip()
        if nip and not is_valid_nip(nip):
            raise forms.ValidationError(_("Nieprawidłowy NIP – sprawdź cyfry."))
        return nip


def payment_panel_context(appointment, membership) -> dict:
    """What the visit panel shows of the payment: amount, deadline, status, link history, and
    the forms the person may use."""
    payment = Payment.objects.filter(appointment=appointment).first()
    if payment is None:
        return {}
    context: dict[str, object] = {"payment": payment}
    if membership.has_permission("payments.view"):
        context["payment_events"] = list(payment.events.select_related("actor").order_by("at", "pk"))
        context["payment_refunds"] = list(payment.refunds.order_by("requested_at", "pk"))
    if membership.has_permission("payments.change_single") and payment.status == PaymentStatus.PENDING:
        context["waive_form"] = WaiveForm()
        if payment.required:
            initial = localtime(payment.deadline).strftime("%Y-%m-%dT%H:%M") if payment.deadline else ""
            context["deadline_form"] = DeadlineForm(initial={"deadline": initial, "resend": True})
    if (
        membership.has_permission("payments.refund")
        and payment.refundable > 0
        and payment.status
        in (
            PaymentStatus.PAID,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentStatus.LATE,
        )
    ):
        context["refund_form"] = RefundForm(initial={"amount": payment.refundable})
    if membership.has_permission("payments.invoice"):
        invoice = Invoice.objects.filter(payment=payment).first()
        context["invoice"] = invoice
        if invoice is None:
            context["invoice_blocked"] = invoices.why_not_invoiceable(payment)
            if not context["invoice_blocked"]:
                context["invoice_form"] = InvoiceForm(
                    initial={"name": f"{appointment.first_name} {appointment.last_name}"}
                )
    return context


def _first_error(form: forms.Form) -> str:
    return str(next(iter(form.errors.values()))[0])


@require_POST
@clinic_view("payments.view")
def visit_payment(request, appointment_id: int):
    """One action on a visit's payment: waive, new deadline, resend the link, refund."""
    appointment = scope.get_appointment(request, scope.visible_appointments(request.membership), appointment_id)
    payment = Payment.objects.filter(appointment=appointment).first()
    if payment is None:
        raise Http404
    action = request.POST.get("action", "")
    needed = {"refund": "payments.refund", "invoice": "payments.invoice"}.get(action, "payments.change_single")
    if not request.membership.has_permission(needed):
        raise PermissionDenied(needed)
    try:
        if action == "waive":
            waive_form = WaiveForm(request.POST)
            if waive_form.is_valid():
                payments.waive(payment, actor=request.user, reason=waive_form.cleaned_data["reason"])
                messages.success(request, gettext("Zwolniono pacjenta z płatności; wizyta jest potwierdzona."))
            else:
                messages.error(request, _first_error(waive_form))
        elif action == "deadline":
            deadline_form = DeadlineForm(request.POST)
            if deadline_form.is_valid():
                new = deadline_form.cleaned_data["deadline"]
                if timezone.is_naive(new):
                    new = new.replace(tzinfo=clock.WARSAW)
                payments.change_deadline(payment, new, actor=request.user, resend=deadline_form.cleaned_data["resend"])
                messages.success(request, gettext("Zmieniono termin płatności."))
            else:
                messages.error(request, _first_error(deadline_form))
        elif action == "resend":
            if payment.status != PaymentStatus.PENDING:
                raise payments.PaymentError(gettext("Link można wysłać tylko do płatności, która jeszcze oczekuje."))
            with transaction.atomic():
                sent = payments.send_link(
                    payment, actor=request.user, key=f"payment_link:{payment.pk}:{int(clock.now().timestamp())}"
                )
            if sent:
                messages.success(request, gettext("Wysłano link do płatności."))
            else:
                messages.error(
                    request, gettext("Pacjent nie podał adresu e-mail ani telefonu, na który można wysłać link.")
                )
        elif action == "invoice":
            invoice_form = InvoiceForm(request.POST)
            if invoice_form.is_valid():
                invoice = invoices.issue_invoice(payment, buyer=invoice_form.cleaned_data, actor=request.user)
                messages.success(request, gettext("Wystawiono fakturę %(number)s.") % {"number": invoice.number})
            else:
                messages.error(request, _first_error(invoice_form))
        elif action == "refund":
            refund_form = RefundForm(request.POST)
            if refund_form.is_valid():
                c = refund_form.cleaned_data
                payments.request_refund(payment, c["amount"], reason=c["reason"], actor=request.user)
                messages.success(request, gettext("Zlecono zwrot przez operatora płatności."))
            else:
                messages.error(request, _first_error(refund_form))
        else:
            raise Http404
    except (payments.PaymentError, invoices.InvoiceError) as exc:
        messages.error(request, exc.message)
    return redirect("clinic:visit", appointment_id=appointment.pk)


INVOICE_FILES = {
    "pdf": ("application/pdf", "pdf", invoices.pdf_of),
    "xml": ("application/xml", "xml", invoices.xml_of),
}


@clinic_view("payments.invoice")
def invoice_file(request, invoice_id: int, fmt: str):
    """The invoice as PDF, or its KSeF FA(3) XML (to upload to KSeF by hand for now)."""
    if fmt not in INVOICE_FILES:
        raise Http404
    invoice = get_for_provider(Invoice.objects.select_related("payment__appointment"), request.provider, invoice_id)
    scope.get_appointment(request, scope.visible_appointments(request.membership), invoice.payment.appointment_id)
    content_type, extension, render_file = INVOICE_FILES[fmt]
    record_audit(
        provider_id=request.provider.pk,
        action="invoice.downloaded",
        target=invoice,
        summary=f"Pobranie faktury {invoice.number} ({fmt.upper()})",
        actor=request.user,
    )
    response = HttpResponse(render_file(invoice), content_type=content_type)
    name = invoice.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


# -- the report (H7) -----------------------------------------------------------------------

REPORT_STATUSES = [
    (PaymentStatus.PAID, _("opłacone")),
    (PaymentStatus.PENDING, _("oczekuje")),
    (PaymentStatus.EXPIRED, _("przeterminowane")),
    ("refunded_any", _("zwrócone")),
    ("cancelled_any", _("anulowane")),
    (PaymentStatus.WAIVED, _("zwolnione z płatności")),
    (PaymentStatus.LATE, _("do zwrotu")),
]
STATUS_FILTERS = {
    "refunded_any": [PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED],
    "cancelled_any": [PaymentStatus.CANCELLED],
}


REPORT_FIRST_DAY, REPORT_LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.WARSAW)


class PaymentFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("Utworzone od"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Utworzone do"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("dowolny")), *REPORT_STATUSES])
    practitioner = forms.ModelChoiceField(
        label=_("Lekarz"), required=False, queryset=Practitioner.objects.none(), empty_label=_("dowolny")
    )
    unit = forms.ModelChoiceField(
        label=_("Poradnia"), required=False, queryset=Unit.objects.none(), empty_label=_("dowolna")
    )
    gateway = forms.ChoiceField(label=_("Operator"), required=False, choices=[("", _("dowolny")), *GatewayName.choices])

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("practitioner", scope.visible_practitioners(membership)),
            ("unit", Unit.objects.filter(provider=membership.provider)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean(self):
        cleaned = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not REPORT_FIRST_DAY <= day <= REPORT_LAST_DAY:
                self.add_error(name, _("Podaj datę z lat 2000–2099."))
                cleaned.pop(name, None)
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            self.add_error("date_to", _("Data końcowa nie może być wcześniejsza niż początkowa."))
        return cleaned

    def apply(self, qs):
        c = self.cleaned_data
        if c.get("date_from"):
            qs = qs.filter(created_at__gte=_midnight(c["date_from"]))
        if c.get("date_to"):
            qs = qs.filter(created_at__lt=_midnight(c["date_to"] + dt.timedelta(days=1)))
        status = c.get("status")
        if status:
            qs = qs.filter(status__in=STATUS_FILTERS.get(status, [status]))
        if c.get("practitioner"):
            qs = qs.filter(appointment__practitioner=c["practitioner"])
        if c.get("unit"):
            qs = qs.filter(appointment__unit=c["unit"])
        if c.get("gateway"):
            qs = qs.filter(gateway=c["gateway"])
        return qs


def _payments(request):
    form = PaymentFilterForm(request.GET or None, membership=request.membership)
    visible = scope.visible_appointments(request.membership)
    qs = (
        Payment.objects.filter(provider=request.provider, appointment__in=visible)
        .select_related("appointment__practitioner", "appointment__unit")
        .order_by("-created_at", "-pk")
    )
    if form.is_bound and form.is_valid():
        qs = form.apply(qs)
    elif form.is_bound:
        qs = qs.none()
    return form, qs


@clinic_view("payments.view")
def payments_report(request):
    form, qs = _payments(request)
    page = Paginator(qs, 50).get_page(request.GET.get("strona"))
    params = request.GET.copy()
    params.pop("strona", None)
    return render(
        request,
        "clinic/payments_report.html",
        {"form": form, "page": page, "params": params.urlencode(), "now": clock.now()},
        status=200 if not form.errors else 422,
    )


REPORT_COLUMNS = [
    _("Numer wizyty"),
    _("Termin wizyty"),
    _("Lekarz"),
    _("Poradnia"),
    _("Pacjent"),
    _("Rodzaj"),
    _("Kwota (zł)"),
    _("Cena wizyty (zł)"),
    _("Termin płatności"),
    _("Status"),
    _("Opłacono"),
    _("Wpłacono (zł)"),
    _("Zwrócono (zł)"),
    _("Operator"),
    _("Utworzono"),
]


def _naive_local(value):
    """A datetime as Warsaw wall-clock time without a zone: a spreadsheet date cell."""
    return localtime(value).replace(tzinfo=None) if value else None


@clinic_view("payments.view")
def payments_export(request):
    """The filtered report as XLSX: dates as date cells, amounts as numbers."""
    form, qs = _payments(request)
    record_audit(
        provider_id=request.provider.pk,
        action="payments.exported",
        target=None,
        summary=gettext("Wyeksportowano raport płatności online (XLSX)"),
        actor=request.user,
        changes={"filters": {k: v for k, v in request.GET.items() if v}},
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Płatności online")
    sheet.append([str(c) for c in REPORT_COLUMNS])
    date_columns = {2, 9, 11, 15}
    money_columns = {7, 8, 12, 13}
    for payment in qs.iterator(chunk_size=1000):
        a = payment.appointment
        sheet.append(
            [
                a.reference,
                _naive_local(a.start),
                _safe(a.practitioner.full_name),
                _safe(a.unit.name),
                _safe(f"{a.first_name} {a.last_name}"),
                str(_("obowiązkowa") if payment.required else _("opcjonalna")),
                payment.amount,
                payment.price,
                _naive_local(payment.deadline),
                payment.get_status_display(),
                _naive_local(payment.paid_at),
                payment.paid_amount,
                payment.refunded_amount,
                payment.get_gateway_display(),
                _naive_local(payment.created_at),
            ]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in date_columns and cell.value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif cell.column in money_columns:
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="platnosci-online-{clock.local_today():%Y-%m-%d}.xlsx"'
    return response
