"""A1 in the demo: the register of facilities (the two demo providers with their accounts and
six facilities without one), applications in every status and the platform operator's login
(`operator` / `demo-operator`, the sign-in code by e-mail in the demo mailbox). In the wizard
(/gabinet/uzyskaj-dostep/) NIP 526-104-12-36 finds a facility that can still apply."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from stdnum.pl import nip as nip_number
from stdnum.pl import regon as regon_number

from terminarz.core import clock
from terminarz.factors.models import EmailDevice
from terminarz.onboarding import changes, services
from terminarz.onboarding.models import RegistryFacility
from terminarz.providers import services as org
from terminarz.providers.models import Provider
from terminarz.subscriptions import services as subscriptions
from terminarz.subscriptions.machines import SUBSCRIPTION
from terminarz.subscriptions.models import Subscription, SubscriptionStatus

OPERATOR_LOGIN = ("operator", "demo-operator")
EXTRACT = b"%PDF-1.4\n% wypis z RPWDL (dokument demonstracyjny)\n"


def valid_nip(first9: str) -> str:
    """The first nine digits completed with the check digit python-stdnum accepts."""
    return next(first9 + digit for digit in "0123456789" if nip_number.is_valid(first9 + digit))


def valid_regon(first8: str) -> str:
    return first8 + regon_number.calc_check_digit(first8)


# name, NIP's first 9 digits, RPWDL book, street, postal code, city, voivodeship (TERYT)
FACILITIES = [
    ("Poradnia Rodzinna Słoneczna", "526104123", "000000012345", "ul. Słoneczna 4", "30-001", "Kraków", "12"),
    ("Centrum Rehabilitacji Ruch", "951234567", "000000023456", "ul. Sportowa 10", "60-101", "Poznań", "30"),
    ("Gabinet Stomatologiczny Uśmiech", "779231112", "000000034567", "ul. Zębowa 2", "50-001", "Wrocław", "02"),
    (
        "Przychodnia Lekarzy Rodzinnych Nad Wisłą",
        "779231113",
        "000000045678",
        "ul. Wiślana 7",
        "00-950",
        "Warszawa",
        "14",
    ),
    ("NZOZ Zdrowie Plus", "812345678", "000000056789", "ul. Długa 88", "80-001", "Gdańsk", "22"),
    ("Centrum Medyczne Bezpieczne", "527012345", "000000067890", "ul. Ogrodowa 3", "20-001", "Lublin", "06"),
]


def seed() -> None:
    if RegistryFacility.objects.exists():
        return
    now = clock.now()
    User = get_user_model()
    username, password = OPERATOR_LOGIN
    operator = User.objects.create_user(username, "operator@terminarz.local", password, is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    EmailDevice.objects.create(user=operator, name="e-mail", confirmed=True, email=operator.email)
    for slug, book in (("przychodnia-demo", "000000000101"), ("centrum-medyczne-vita", "000000000102")):
        provider = Provider.objects.get(slug=slug)
        location = provider.locations.order_by("number").first()
        RegistryFacility.objects.create(
            name=provider.name,
            nip=provider.nip,
            rpwdl_book=book,
            street=location.street if location else "",
            postal_code=location.postal_code if location else "",
            city=location.city if location else "",
            voivodeship="12",
            provider=provider,
            imported_at=now,
            updated_at=now,
        )
    facilities = []
    for index, (name, first9, book, street, postal_code, city, voivodeship) in enumerate(FACILITIES):
        facilities.append(
            RegistryFacility.objects.create(
                name=name,
                nip=valid_nip(first9),
                regon=valid_regon(f"3{index}123456"),
                rpwdl_book=book,
                street=street,
                postal_code=postal_code,
                city=city,
                voivodeship=voivodeship,
                imported_at=now,
                updated_at=now,
            )
        )
    _applications(facilities, operator, now)
    _changes()
    _subscriptions(operator, now)


def _subscriptions(operator, now: dt.datetime) -> None:
    """A4: Przychodnia Demo runs the demo mode, 10 days before it ends (the 14-day warning is
    due) and has a paid 12-month order with its invoice, waiting for "Włącz"; Centrum Medyczne
    Vita has a 12-month subscription for 5 schedules."""
    demo = Provider.objects.get(slug="przychodnia-demo")
    trial = subscriptions.enable_demo(demo, quantity=10, actor=None, now=now - dt.timedelta(days=82))
    Subscription.unscoped.filter(pk=trial.pk).update(valid_to=clock.local_today() + dt.timedelta(days=10))
    # …and has already paid for 12 months with an invoice: "Włącz" and "Pobierz fakturę (PDF)".
    admin = get_user_model().objects.filter(username="admin").first()
    quantity = max(10, subscriptions.published_count(demo.pk, clock.local_today()))
    bought = subscriptions.order(demo, quantity=quantity, actor=admin, now=now - dt.timedelta(days=1))
    subscriptions.choose_invoice(bought, wanted=True, data=subscriptions.invoice_preview(demo))
    SUBSCRIPTION.move(
        bought,
        SubscriptionStatus.PAID,
        actor_label="gateway",
        now=now - dt.timedelta(days=1),
        paid_at=now - dt.timedelta(days=1),
        payment_reference="DEMO",
    )
    subscriptions.issue_invoice(bought, now=now - dt.timedelta(days=1))
    subscriptions.grant(Provider.objects.get(slug="centrum-medyczne-vita"), quantity=5, actor=operator, now=now)


def _changes() -> None:
    """A5 and A2 in the queues: Przychodnia Demo added a location in Nowa Huta (waiting), and
    Centrum Medyczne Vita asked to change its approved location's address."""
    demo = Provider.objects.get(slug="przychodnia-demo")
    admin = get_user_model().objects.filter(username="admin").first()
    if not demo.regon:
        demo.regon = valid_regon("35123456")
        demo.save(update_fields=["regon"])
    org.add_location(
        demo,
        {
            "name": "Przychodnia Demo – Nowa Huta",
            "street": "os. Centrum A 1",
            "postal_code": "31-923",
            "city": "Kraków",
        },
        actor=admin,
    )
    vita = Provider.objects.get(slug="centrum-medyczne-vita")
    main = vita.locations.order_by("number").first()
    if main is not None:
        changes.request_location_change(
            main,
            {"name": main.name, "street": "ul. Krakowska 42", "postal_code": main.postal_code, "city": main.city},
            actor=None,
        )


def _data(facility: RegistryFacility, first_name: str, last_name: str, email: str) -> dict:
    return {
        "name": facility.name,
        "nip": facility.nip,
        "regon": facility.regon,
        "rpwdl_book": facility.rpwdl_book,
        "street": facility.street,
        "postal_code": facility.postal_code,
        "city": facility.city,
        "voivodeship": facility.voivodeship,
        "phone": "+48 22 100 20 30",
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
    }


def _applications(facilities: list[RegistryFacility], operator, now: dt.datetime) -> None:
    """Waiting (one from the register, one new with its extract), approved (the provider and its
    admin's password link exist), rejected with a reason, and a cancelled draft."""
    _slonecznej, ruch, usmiech, nad_wisla, zdrowie_plus, _bezpieczne = facilities
    waiting = services.save_draft(
        _data(ruch, "Marek", "Ruchliwy", "marek@ruch.example"),
        facility=ruch,
        extract=_extract(),
        now=now - dt.timedelta(days=1, hours=3),
    )
    services.submit(waiting, accepted=True, now=now - dt.timedelta(days=1, hours=3))
    _confirmed(waiting, now - dt.timedelta(days=1, hours=2))
    new = _data(nad_wisla, "Ewa", "Wiślańska", "ewa@nadwisla.example")
    new.update(name="Przychodnia Lekarzy Rodzinnych Nad Wisłą s.c.")
    nad_wisla.delete()  # not in the register: it applies with the extract
    fresh = services.save_draft(new, facility=None, extract=_extract(), now=now - dt.timedelta(hours=5))
    services.submit(fresh, accepted=True, now=now - dt.timedelta(hours=5))
    approved = services.save_draft(
        _data(usmiech, "Julia", "Uśmiechnięta", "julia@usmiech.example"),
        facility=usmiech,
        extract=_extract(),
        now=now - dt.timedelta(days=3),
    )
    services.submit(approved, accepted=True, now=now - dt.timedelta(days=3))
    _confirmed(approved, now - dt.timedelta(days=3))
    services.approve(approved, actor=operator, now=now - dt.timedelta(days=2))
    rejected = services.save_draft(
        _data(zdrowie_plus, "Adam", "Zdrowy", "adam@zdrowieplus.example"),
        facility=zdrowie_plus,
        extract=_extract(),
        now=now - dt.timedelta(days=6),
    )
    services.submit(rejected, accepted=True, now=now - dt.timedelta(days=6))
    _confirmed(rejected, now - dt.timedelta(days=6))
    services.reject(
        rejected,
        actor=operator,
        reason="Adres we wniosku różni się od adresu w RPWDL – złóż wniosek z adresem z rejestru.",
        now=now - dt.timedelta(days=5),
    )
    draft = services.save_draft(
        _data(zdrowie_plus, "Adam", "Zdrowy", "adam@zdrowieplus.example"),
        facility=zdrowie_plus,
        extract=_extract(),
        now=now - dt.timedelta(days=4),
    )
    services.cancel(draft, now=now - dt.timedelta(days=4))


def _confirmed(application, at: dt.datetime) -> None:
    """As if the applicant followed the link in the "wniosek złożony" e-mail."""
    services.confirm_email(application.pk, application.email_token, now=at)


def _extract() -> ContentFile:
    return ContentFile(EXTRACT, name="wypis-rpwdl.pdf")
