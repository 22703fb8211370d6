"""Demo data: two providers, locations, units, practitioners and 90 days of slots.
Idempotent: running it again changes nothing but extends the slot horizon."""

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from terminarz.booking import visits
from terminarz.booking.errors import BookingError
from terminarz.booking.models import Appointment, Source
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.catalog import contracts
from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import Contract, ContractStatus, Payer, PaymentType, Service, ServiceGroup
from terminarz.catalog.services import ensure_specializations
from terminarz.core import clock
from terminarz.core.crypto import secret_hash
from terminarz.core.tenancy import system_task
from terminarz.demo import onboarding
from terminarz.demo.certificates import DEMO_CERTIFICATE_PASSWORD, self_signed_pkcs12
from terminarz.factors.models import EmailDevice
from terminarz.insurers import ols, payer_booking, referrals
from terminarz.insurers import pricelists as insurer_pricelists
from terminarz.insurers import services as insurance
from terminarz.insurers.models import (
    Cooperation,
    InsuranceService,
    Insurer,
    InsurerMembership,
    InsurerRole,
    InsurerTerms,
    ServiceArea,
    ThematicService,
)
from terminarz.integrations import services as integrations
from terminarz.integrations.models import SCOPES, ApiCredential
from terminarz.legal import services as legal
from terminarz.patients.services import add_card
from terminarz.payments import services as payments
from terminarz.payments.gateways.base import Notice, NoticeStatus
from terminarz.payments.invoices import issue_invoice
from terminarz.payments.models import (
    AmountKind,
    DeadlineKind,
    Payment,
    PaymentAttempt,
    PaymentRule,
    PaymentSettings,
    Refund,
    Requirement,
)
from terminarz.providers.models import Location, Membership, OpeningHours, Provider, Room, Unit
from terminarz.scheduling.models import Financing, Schedule, ScheduleBlock, Slot
from terminarz.scheduling.services import extend_horizon
from terminarz.staff.models import Practitioner
from terminarz.staff.pwz import make_pwz

MON, TUE, WED, THU, FRI, SAT = range(6)
NFZ, PRIV = Financing.NFZ, Financing.PRIVATE
T = dt.time

EKG_REQUIREMENT = "Na wizytę należy zabrać aktualne wyniki EKG i listę przyjmowanych leków."

# username, password, role at Przychodnia Demo, superuser
DEMO_LOGINS = [
    ("admin", "demo-admin", "admin", True),
    ("rejestracja", "demo-rejestracja", "registrar", False),
    ("lekarz", "demo-lekarz", "practitioner", False),
]

PROVIDERS: list[dict[str, Any]] = [
    {
        "slug": "przychodnia-demo",
        "name": "Przychodnia Demo",
        "phone": "+48 12 345 67 00",
        "email": "rejestracja@przychodnia-demo.pl",
        "description": "Przychodnia specjalistyczna i POZ w Krakowie i Wieliczce.",
        "locations": [
            (1, "Przychodnia Demo – Kraków", "ul. Długa 12", "31-146", "Kraków"),
            (2, "Przychodnia Demo – Wieliczka", "ul. Dembowskiego 5", "32-020", "Wieliczka"),
        ],
        "units": [
            ("KARD", "1100", "Poradnia kardiologiczna", 1),
            ("DERM", "1200", "Poradnia dermatologiczna", 1),
            ("POZ", "0010", "Poradnia lekarza POZ", 2),
            ("REH", "1300", "Poradnia rehabilitacyjna", 2),
        ],
        "practitioners": [
            # title, first, last, type, specializations, unit, blocks
            (
                "lek.",
                "Anna",
                "Nowak",
                "doctor",
                ["kardiologia", "choroby-wewnetrzne"],
                "KARD",
                [
                    (MON, T(8), T(14), 20, NFZ, {}),
                    (WED, T(8), T(14), 20, NFZ, {"first_visit_only": True}),
                    (
                        FRI,
                        T(15),
                        T(19),
                        30,
                        PRIV,
                        {"requirement_text": EKG_REQUIREMENT, "televisit": "possible"},
                    ),
                ],
            ),
            (
                "dr n. med.",
                "Piotr",
                "Wiśniewski",
                "doctor",
                ["kardiologia"],
                "KARD",
                [
                    (TUE, T(9), T(13), 30, PRIV, {}),
                    (THU, T(12), T(18), 20, NFZ, {"followup_only": True}),
                ],
            ),
            (
                "lek.",
                "Katarzyna",
                "Wójcik",
                "doctor",
                ["dermatologia"],
                "DERM",
                [
                    (MON, T(12), T(18), 15, PRIV, {}),
                    (THU, T(8), T(12), 15, NFZ, {"callcenter_only": True}),
                    (SAT, T(9), T(13), 15, PRIV, {}),
                ],
            ),
            (
                "lek.",
                "Tomasz",
                "Kowalczyk",
                "doctor",
                ["dermatologia"],
                "DERM",
                [
                    (TUE, T(14), T(19), 20, PRIV, {"first_free_only": True}),
                    (FRI, T(8), T(12), 20, NFZ, {}),
                ],
            ),
            (
                "lek.",
                "Magdalena",
                "Kamińska",
                "doctor",
                ["medycyna-rodzinna", "pediatria"],
                "POZ",
                [(d, T(8), T(12), 15, NFZ, {}) for d in (MON, TUE, WED, THU, FRI)],
            ),
            (
                "lek.",
                "Marek",
                "Lewandowski",
                "doctor",
                ["medycyna-rodzinna", "choroby-wewnetrzne"],
                "POZ",
                [(d, T(12), T(18), 15, NFZ, {}) for d in (MON, TUE, WED, THU, FRI)],
            ),
            (
                "mgr",
                "Ewa",
                "Zielińska",
                "physio",
                ["fizjoterapia"],
                "REH",
                [(d, T(7), T(15), 45, NFZ, {}) for d in (MON, WED, FRI)] + [(TUE, T(15), T(19), 60, PRIV, {})],
            ),
            (
                "lek.",
                "Jan",
                "Szymański",
                "doctor",
                ["rehabilitacja", "ortopedia"],
                "REH",
                [
                    (TUE, T(8), T(12), 20, NFZ, {}),
                    (THU, T(14), T(18), 20, PRIV, {}),
                ],
            ),
        ],
    },
    {
        "slug": "centrum-medyczne-vita",
        "name": "Centrum Medyczne Vita",
        "phone": "+48 14 600 10 20",
        "email": "kontakt@cm-vita.pl",
        "description": "Niepubliczny zakład opieki zdrowotnej w Tarnowie.",
        "locations": [(1, "CM Vita", "ul. Krakowska 40", "33-100", "Tarnów")],
        "units": [
            ("NEURO", "1220", "Poradnia neurologiczna", 1),
            ("OKUL", "1600", "Poradnia okulistyczna", 1),
        ],
        "practitioners": [
            (
                "dr n. med.",
                "Agnieszka",
                "Dąbrowska",
                "doctor",
                ["neurologia"],
                "NEURO",
                [
                    (MON, T(10), T(16), 30, PRIV, {}),
                    (WED, T(10), T(16), 20, NFZ, {}),
                ],
            ),
            (
                "lek.",
                "Paweł",
                "Mazur",
                "doctor",
                ["okulistyka"],
                "OKUL",
                [
                    (TUE, T(8), T(14), 15, NFZ, {}),
                    (THU, T(8), T(14), 15, PRIV, {}),
                ],
            ),
        ],
    },
]

DEMO_PATIENTS = [
    ("Jan", "Kowalski", "jan.kowalski@example.com", "600100200", "44051401359", "Proszę o wydruk wyników."),
    ("Maria", "Lis", "maria.lis@example.com", "", "", ""),
    ("Zofia", "Kurek", "zofia.kurek@example.com", "601 222 333", "", "Kontrola po zabiegu."),
    ("Krzysztof", "Wójcik", "k.wojcik@example.com", "602 333 444", "", ""),
    ("Barbara", "Kamińska", "b.kaminska@example.com", "", "", "Bóle w klatce piersiowej po wysiłku."),
    ("Tomasz", "Lewandowski", "t.lewandowski@example.com", "603 444 555", "", ""),
    ("Ewa", "Zielińska", "ewa.zielinska@example.com", "", "", "Proszę o skierowanie na badania."),
    ("Marek", "Szymański", "m.szymanski@example.com", "604 555 666", "", ""),
    ("Agata", "Woźniak", "agata.wozniak@example.com", "", "", "Wizyta kontrolna po 3 miesiącach."),
    ("Jerzy", "Kozłowski", "j.kozlowski@example.com", "605 666 777", "", ""),
    ("Halina", "Jankowska", "h.jankowska@example.com", "", "", ""),
    ("Adam", "Mazurek", "adam.mazurek@example.com", "606 777 888", "", "Pierwsza wizyta."),
]

# code, name, gross price, VAT, self service
DEMO_SERVICES = [
    ("KONS-KARD", "Konsultacja kardiologiczna", "220.00", "zw", True),
    ("KONS-DERM", "Konsultacja dermatologiczna", "200.00", "zw", True),
    ("EKG", "EKG spoczynkowe", "60.00", "zw", True),
    ("ECHO", "Echo serca", "280.00", "zw", True),
    ("HOLTER", "Holter EKG 24 h", "250.00", "zw", False),
    ("DERMATO", "Dermatoskopia (1 zmiana)", "90.00", "zw", True),
    ("ZASW", "Zaświadczenie lekarskie", "80.00", "23", False),
    ("TELE", "Teleporada", "150.00", "zw", True),
]

DEMO_SERVICE_GROUPS = [("KARD", "Kardiologia"), ("DERM", "Dermatologia"), ("INNE", "Pozostałe usługi")]
DEMO_SERVICE_GROUP_OF = {
    "KONS-KARD": "KARD",
    "EKG": "KARD",
    "ECHO": "KARD",
    "HOLTER": "KARD",
    "KONS-DERM": "DERM",
    "DERMATO": "DERM",
    "ZASW": "INNE",
    "TELE": "INNE",
}
# The insurers' desk (/ubezpieczyciel/): one administrator per demo insurer; the second factor
# is a code by e-mail (the demo mailbox shows it).
DEMO_INSURER_LOGINS = [
    ("tu-zdrowie", "tu-zdrowie", InsurerRole.ADMIN),
    ("tu-konsultant", "tu-zdrowie", InsurerRole.AGENT),
    ("ump", "ump", InsurerRole.ADMIN),
]
DEMO_INSURER_PASSWORD = "demo-ubezpieczyciel"

# G5: the services Przychodnia Demo overrode to TU Zdrowie's price list and sent signed.
DEMO_TU_PRICE_LIST = ["KONS-KARD", "EKG", "ECHO", "KONS-DERM", "DERMATO"]

DEMO_PATIENT_LOGIN = ("pacjent@example.com", "demo-pacjent")

# Names for scaled-up demo data (seed_demo --scale N).
SCALE_FIRST = ["Katarzyna", "Michał", "Magdalena", "Łukasz", "Joanna", "Grzegorz", "Monika", "Rafał", "Aleksandra"]
SCALE_LAST = ["Pawlak", "Michalski", "Król", "Wieczorek", "Jabłońska", "Wróbel", "Nowicka", "Majewski", "Olszewska"]


# A7/K1: the demo clinic system's credential (README "Connecting a clinic system").
DEMO_CLIENT_ID = "tz_00000000000000000000de01"
DEMO_CLIENT_SECRET = "demo-integracja"


class Command(BaseCommand):
    help = "Load demo data (idempotent) and generate slots for the next 90 days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Multiply the practitioners (and their schedules) of every unit, e.g. 10 for the calendar benchmark.",
        )

    @system_task
    def handle(self, *args, **options):
        today = clock.local_today()
        scale = max(1, options["scale"])
        with transaction.atomic():
            specs = ensure_specializations()
            seq = 0
            for p in PROVIDERS:
                provider, _ = Provider.objects.get_or_create(
                    slug=p["slug"],
                    defaults={k: p[k] for k in ("name", "phone", "email", "description")},
                )
                # On the platform under the provider terms in force (A3; as at approval).
                legal.provider_accepts(provider.pk, kind="provider", user=None, now=clock.now())
                locations = {}
                for number, name, street, postal, city in p["locations"]:
                    locations[number], _ = Location.objects.get_or_create(
                        provider=provider,
                        number=number,
                        # Kraków, Tarnów, Wieliczka: małopolskie.
                        defaults={
                            "name": name,
                            "street": street,
                            "postal_code": postal,
                            "city": city,
                            "voivodeship": "12",
                        },
                    )
                units = {}
                for code, dep, name, loc in p["units"]:
                    units[code], _ = Unit.objects.get_or_create(
                        provider=provider,
                        code=code,
                        defaults={"department_code": dep, "name": name, "location": locations[loc]},
                    )
                practitioners = [
                    (title, first, last, kind, spec_codes, unit_code, blocks)
                    for title, first, last, kind, spec_codes, unit_code, blocks in p["practitioners"]
                ]
                for k in range(1, scale):
                    for i, (title, _f, _l, kind, spec_codes, unit_code, blocks) in enumerate(p["practitioners"]):
                        n = k * len(p["practitioners"]) + i
                        first, last = SCALE_FIRST[n % len(SCALE_FIRST)], SCALE_LAST[(n // 3) % len(SCALE_LAST)]
                        practitioners.append((title, first, f"{last} ({k + 1})", kind, spec_codes, unit_code, blocks))
                for title, first, last, kind, spec_codes, unit_code, blocks in practitioners:
                    seq += 1
                    practitioner, created = Practitioner.objects.get_or_create(
                        provider=provider,
                        first_name=first,
                        last_name=last,
                        defaults={
                            "title": title,
                            "staff_type": kind,
                            "pwz": make_pwz(345_000 + seq * 7919) if kind == "doctor" else "",
                            "description": f"{title} {first} {last} – przyjmuje w: {units[unit_code].name}.",
                            # K2: every demo practitioner is in the SMART Scheduling Links feed.
                            "in_aggregators": True,
                        },
                    )
                    if created:
                        practitioner.specializations.set([specs[c] for c in spec_codes])
                        practitioner.units.set([units[unit_code]])
                    schedule, created = Schedule.objects.get_or_create(
                        provider=provider,
                        practitioner=practitioner,
                        unit=units[unit_code],
                        description="Harmonogram podstawowy",
                        defaults={"valid_from": today},
                    )
                    if created:
                        ScheduleBlock.objects.bulk_create(
                            ScheduleBlock(
                                schedule=schedule,
                                weekday=wd,
                                start_time=start,
                                end_time=end,
                                slot_minutes=minutes,
                                financing=fin,
                                **opts,
                            )
                            for wd, start, end, minutes, fin, opts in blocks
                        )
                self._org_details(provider, units, locations)
            self._users()
            self._patient_account()
            self._services()
        slots_created = extend_horizon(today=today)
        self._demo_bookings(today, busy=scale > 1)
        self._payments()
        self._insurers()
        self._integration()
        self._campaign()
        onboarding.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready; {slots_created} new slots generated."))

    def _integration(self):
        """A clinic system's credential with a known secret, for the README's walk-through."""
        provider = Provider.objects.get(slug=PROVIDERS[0]["slug"])
        ApiCredential.unscoped.update_or_create(
            client_id=DEMO_CLIENT_ID,
            defaults={
                "provider": provider,
                "name": "System gabinetowy (demo)",
                "secret_hash": secret_hash(integrations.PURPOSE, DEMO_CLIENT_SECRET),
                "scopes": sorted(name for name, _label in SCOPES),
                "created_at": clock.now(),
                "revoked_at": None,
            },
        )

    def _campaign(self):
        """I2: a draft e-mail campaign of the demo clinic, and the demo patient agreeing to
        marketing e-mails (so the draft reaches one person)."""
        from terminarz.accounts.models import record_consents
        from terminarz.marketing.models import Campaign

        demo = Provider.objects.get(slug="przychodnia-demo")
        patient = get_user_model().objects.get(email=DEMO_PATIENT_LOGIN[0])
        record_consents(patient, {"marketing_email": True}, source="account")
        Campaign.unscoped.get_or_create(
            provider=demo,
            name="Szczepienia przeciw grypie 2026/27",
            defaults={
                "channel": Campaign.Channel.EMAIL,
                "subject": "{imie}, szczepienia przeciw grypie już w {placowka}",
                "body": "Dzień dobry {imie},\n\nzapraszamy na szczepienia przeciw grypie – bez kolejki, "
                "od poniedziałku do piątku. Umów się online.\n\nZespół {placowka}",
            },
        )

    def _users(self):
        User = get_user_model()
        demo = Provider.objects.get(slug="przychodnia-demo")
        for username, password, role, superuser in DEMO_LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                if superuser:
                    user = User.objects.create_superuser(username, f"{username}@terminarz.local", password)
                else:
                    user = User.objects.create_user(username, f"{username}@terminarz.local", password)
            Membership.objects.get_or_create(user=user, provider=demo, defaults={"role": role})
            if role == "practitioner":
                Practitioner.objects.filter(provider=demo, last_name="Nowak", user__isnull=True).update(user=user)

    def _patient_account(self):
        """A verified patient account (E1) for the portal: pacjent@example.com / demo-pacjent."""
        from allauth.account.models import EmailAddress

        from terminarz.accounts.models import PatientProfile, record_consents

        User = get_user_model()
        email = DEMO_PATIENT_LOGIN[0]
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                "pacjent-demo", email, DEMO_PATIENT_LOGIN[1], first_name="Piotr", last_name="Pacjent"
            )
            PatientProfile.objects.create(user=user, pesel="85010112345", phone="600 123 456")
            record_consents(user, {"rodo": True, "marketing_email": False, "marketing_sms": False}, source="signup")
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})

    def _patient_side(self, demo, registrar, *, skip: set[int]):
        """Issue 4 screens: the demo patient's visit, a dependent with a visit, shared documents,
        requests, a waiting-list entry, an NFZ queue entry, registration settings."""
        from terminarz.accounts.models import PatientProfile
        from terminarz.providers.models import settings_for
        from terminarz.records.models import PrescriptionRequest, RodoRequest, SharedDocument
        from terminarz.waiting.models import QueueEntry
        from terminarz.waiting.services import join_waitlist

        User = get_user_model()
        patient = User.objects.get(email=DEMO_PATIENT_LOGIN[0])
        rules = settings_for(demo.pk)
        rules.return_email = demo.email
        rules.save(update_fields=["return_email"])
        child = User.objects.filter(patient_profile__guardian=patient).first()
        if child is None:
            child = User.objects.create_user("podopieczny-demo", "", None, first_name="Zosia", last_name="Pacjent")
            PatientProfile.objects.create(
                user=child, guardian=patient, pesel="21271512342", dependent_reason="under_16"
            )
        free = [
            s
            for s in Slot.objects.filter(provider=demo, state="free", portal=True, start__gt=clock.now())
            .exclude(pk__in=skip)
            .order_by("start")[:200]
        ]
        visits = []
        for account, first, pesel, slot in (
            (patient, "Piotr", "85010112345", free[5]),
            (child, "Zosia", "21271512342", free[40]),
        ):
            data = {
                "first_name": first,
                "last_name": "Pacjent",
                "email": patient.email,
                "phone": "600 123 456",
                "pesel": pesel,
                "note": "",
                "accept_requirements": "on",
            }
            try:
                visits.append(book_appointment(slot.pk, data, source=Source.PORTAL, account=account))
            except BookingError:
                continue
        if visits:
            record = visits[0].patient
            SharedDocument.objects.create(
                provider=demo,
                patient=record,
                kind="vaccination",
                title="Szczepienie przeciw grypie 2026/27",
                date=clock.local_today(),
                text="Vaxigrip Tetra, lewe ramię.",
                shared_by=registrar,
            )
            SharedDocument.objects.create(
                provider=demo,
                patient=record,
                kind="recommendation",
                title="Zalecenia po wizycie",
                date=clock.local_today(),
                text="Kontrola ciśnienia 2× dziennie, wizyta kontrolna za 3 miesiące.",
                shared_by=registrar,
            )
            PrescriptionRequest.objects.create(
                provider=demo,
                patient=record,
                practitioner=visits[0].practitioner,
                account=patient,
                medicines="Bisocard 5 mg, 1 op.",
            )
            RodoRequest.objects.create(
                provider=demo,
                patient=record,
                account=patient,
                kind="access",
                text="Proszę o kopię dokumentacji z ostatniego roku.",
                due_date=RodoRequest.deadline(clock.local_today()),
            )
            QueueEntry.objects.create(
                provider=demo,
                unit=visits[0].unit,
                patient=record,
                category=QueueEntry.Category.URGENT,
                note="Skierowanie z adnotacją „pilne”",
                created_by=registrar,
            )
            join_waitlist(
                demo,
                practitioner=visits[0].practitioner,
                data={"first_name": "Piotr", "last_name": "Pacjent", "email": patient.email, "phone": "600 123 456"},
                account=patient,
            )

    def _org_details(self, provider, units, locations):
        """Opening hours (Mon–Fri 8–18) and one room per unit, so the structure screens have content."""
        for unit in units.values():
            if not OpeningHours.objects.filter(unit=unit).exists():
                OpeningHours.objects.bulk_create(
                    OpeningHours(unit=unit, weekday=wd, opens=T(8), closes=T(18)) for wd in range(5)
                )
        for number, location in locations.items():
            for k in (1, 2, 3):
                Room.objects.get_or_create(provider=provider, location=location, name=f"Gabinet {number}.{k:02d}")

    def _services(self):
        demo = Provider.objects.get(slug="przychodnia-demo")
        groups = {
            code: ServiceGroup.objects.get_or_create(provider=demo, code=code, defaults={"name": name})[0]
            for code, name in DEMO_SERVICE_GROUPS
        }
        for code, name, price, vat, self_service in DEMO_SERVICES:
            Service.objects.get_or_create(
                provider=demo,
                code=code,
                defaults={
                    "name": name,
                    "price": Decimal(price),
                    "vat_rate": vat,
                    "self_service": self_service,
                    "group": groups[DEMO_SERVICE_GROUP_OF[code]],
                },
            )

    def _demo_bookings(self, today: dt.date, *, busy: bool):
        """Visits today and in the coming days (portal and desk), one with services and a note,
        a card on a record, a cancelled visit. With --scale: every third free slot of the next two weeks booked."""
        demo = Provider.objects.get(slug="przychodnia-demo")
        if Appointment.objects.filter(provider=demo).exists():
            return
        registrar = get_user_model().objects.get(username="rejestracja")
        start = dt.datetime.combine(today, T(0), tzinfo=ZoneInfo("Europe/Warsaw"))
        free = Slot.objects.filter(provider=demo, state="free", portal=True, start__gt=clock.now())
        free = free.filter(start__gte=start).order_by("start")
        picked = []
        seen: set[tuple[int, dt.date]] = set()
        for slot in free[:2000]:
            key = (slot.practitioner_id, slot.day)
            if key in seen:
                continue
            seen.add(key)
            picked.append(slot)
            if len(picked) == len(DEMO_PATIENTS):
                break
        booked = []
        for i, ((first, last, email, phone, pesel, note), slot) in enumerate(zip(DEMO_PATIENTS, picked, strict=False)):
            data = {
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "pesel": pesel,
                "note": note,
                "accept_requirements": "on",
            }
            source = Source.PORTAL if i % 2 else Source.DESK
            try:
                booked.append(book_appointment(slot.pk, data, source=source))
            except BookingError:
                continue
        if booked:
            first_visit = booked[0]
            payer, share = visits.default_payer(first_visit)
            for code in ("KONS-KARD", "EKG"):
                service = Service.objects.get(provider=demo, code=code)
                visits.add_service(first_visit, service, quantity=1, payer=payer, patient_share=share, actor=registrar)
            visits.add_note(first_visit, "Pacjent prosi o wcześniejszy kontakt telefoniczny.", actor=registrar)
            add_card(first_visit.patient, "PL1234567890ABCDEF", actor=registrar)
        if len(booked) > 3:
            cancel_appointment_by_clinic(
                booked[-1], actor=registrar, reason="Nieobecność lekarza – prosimy o nowy termin."
            )
        self._patient_side(demo, registrar, skip={a.slot_id for a in booked})
        if busy:
            week = Slot.objects.filter(
                provider=demo, state="free", start__gt=clock.now(), day__lt=today + dt.timedelta(days=15)
            ).order_by("start")
            for n, slot in enumerate(week.iterator()):
                if n % 3:
                    continue
                patient = DEMO_PATIENTS[n % len(DEMO_PATIENTS)]
                data = {
                    "first_name": patient[0],
                    "last_name": patient[1],
                    "email": patient[2],
                    "phone": patient[3],
                    "pesel": "",
                    "note": "",
                    "accept_requirements": "on",
                }
                try:
                    book_appointment(slot.pk, data, source=Source.DESK)
                except BookingError:
                    continue

    def _payments(self):
        """H1–H7 in the demo: Przelewy24 (the bundled stand-in), dr Wiśniewski's private visits
        paid in full by 22:00 on the booking day (at least 2 h before the visit), lek. Wójcik's
        optional with a 30 % deposit, first-time patients obliged to pay; a paid, a pending, an
        expired, a refunded and a waived (VIP) payment for the report and the calendar."""
        demo = Provider.objects.get(slug="przychodnia-demo")
        if Payment.objects.filter(provider=demo).exists():
            return
        registrar = get_user_model().objects.get(username="rejestracja")
        wisniewski = Practitioner.objects.get(provider=demo, last_name="Wiśniewski")
        wojcik = Practitioner.objects.get(provider=demo, last_name="Wójcik")
        wisniewski.procedures.add(Service.objects.get(provider=demo, code="KONS-KARD"))
        wojcik.procedures.add(
            Service.objects.get(provider=demo, code="KONS-DERM"), Service.objects.get(provider=demo, code="DERMATO")
        )
        if not demo.nip:
            demo.nip = "6762461659"  # a valid NIP checksum, for the demo's invoices (H9)
            demo.save(update_fields=["nip"])
        PaymentSettings.objects.create(
            provider=demo, enabled=True, gateway="przelewy24", first_time_mandatory=True, link_sms=True
        )
        PaymentRule.objects.create(
            provider=demo,
            requirement=Requirement.NONE,
            deadline_kind=DeadlineKind.BEFORE_VISIT,
            hours_before_visit=24,
        )
        PaymentRule.objects.create(
            provider=demo,
            practitioner=wisniewski,
            requirement=Requirement.MANDATORY,
            amount_kind=AmountKind.FULL,
            deadline_kind=DeadlineKind.BY_HOUR,
            deadline_hour=22,
            hours_before_visit=2,
        )
        PaymentRule.objects.create(
            provider=demo,
            practitioner=wojcik,
            requirement=Requirement.OPTIONAL,
            amount_kind=AmountKind.DEPOSIT_PERCENT,
            deposit_percent=30,
        )
        free = Slot.objects.filter(
            practitioner=wisniewski,
            state="free",
            portal=True,
            financing=Financing.PRIVATE,
            start__gt=clock.now() + dt.timedelta(days=2),
        ).order_by("start")
        people = [
            ("Marta", "Opłacona", "marta.oplacona@example.com"),
            ("Paweł", "Oczekujący", "pawel.oczekujacy@example.com"),
            ("Ewa", "Spóźniona", "ewa.spozniona@example.com"),
            ("Jan", "Zwrotny", "jan.zwrotny@example.com"),
            ("Zofia", "Vip", "zofia.vip@example.com"),
        ]
        made = []
        for (first, last, email), slot in zip(people, free[:5], strict=False):
            data = {"first_name": first, "last_name": last, "email": email, "phone": "600 700 800", "note": ""}
            try:
                made.append(book_appointment(slot.pk, data, source=Source.PORTAL))
            except BookingError:
                continue
        if len(made) < 5:
            return
        paid, _pending, expired, refunded, vip = (Payment.objects.get(appointment=a) for a in made)
        for n, payment in enumerate((paid, refunded)):
            attempt = PaymentAttempt.objects.create(
                payment=payment,
                session_id=f"TZDEMO{payment.pk}N{n}",
                gateway=payment.gateway,
                amount=payment.amount,
                created_at=clock.now(),
            )
            notice = Notice(attempt.session_id, payment.amount, "PLN", NoticeStatus.PAID, f"DEMO{payment.pk}")
            payments.settle(attempt, notice, now=clock.now())
        refund = Refund.objects.create(
            payment=refunded,
            amount=refunded.amount,
            request_id=f"RDEMO{refunded.pk}",
            reason="Odwołanie wizyty – zwrot w całości",
            requested_by=registrar,
            requested_at=clock.now(),
        )
        payments.finish_refund(refund.pk, now=clock.now())
        cancel_appointment_by_clinic(refunded.appointment, actor=registrar, reason="Pacjent zrezygnował z wizyty.")
        # Booked long enough ago for its deadline to have passed (so the report reads true).
        passed = clock.now() - dt.timedelta(hours=1)
        Payment.objects.filter(pk=expired.pk).update(deadline=passed, created_at=passed - dt.timedelta(hours=4))
        Appointment.objects.filter(pk=expired.appointment_id).update(hold_until=passed)
        payments.expire_unpaid(expired.pk, now=clock.now())
        payments.waive(vip, actor=registrar, reason="Pacjent VIP – płatność na miejscu")
        issue_invoice(
            Payment.objects.get(pk=paid.pk),
            buyer={
                "name": "Marta Opłacona",
                "nip": "",
                "street": "ul. Lea 10/2",
                "postal_code": "30-048",
                "city": "Kraków",
            },
            actor=registrar,
        )

    def _insurers(self):
        """G1–G2 in the demo: three fictitious insurers with their terms; Przychodnia Demo
        cooperates with TU Zdrowie (active), has an offer waiting at Ubezpieczenia Medyczne Polska
        and ended its cooperation with Medycyna Plus TU; Centrum Medyczne Vita was rejected by one,
        is preparing its offer to another and has no cooperation with the third: every status."""
        if Insurer.objects.exists():
            return
        effective = clock.now() - dt.timedelta(days=30)
        insurers = {}
        for slug, name, docs in (
            ("tu-zdrowie", "TU Zdrowie", ["Wpis do rejestru podmiotów wykonujących działalność leczniczą"]),
            (
                "ump",
                "Ubezpieczenia Medyczne Polska",
                ["Wpis do rejestru podmiotów wykonujących działalność leczniczą", "Polisa OC"],
            ),
            ("medycyna-plus", "Medycyna Plus TU", ["Wpis do rejestru podmiotów wykonujących działalność leczniczą"]),
        ):
            insurer = Insurer.objects.create(
                name=name,
                slug=slug,
                required_documents=docs,
                description=f"{name} zaprasza placówki do współpracy w zakresie konsultacji specjalistycznych, "
                "badań diagnostycznych i rehabilitacji dla swoich ubezpieczonych.",
            )
            InsurerTerms.objects.create(
                insurer=insurer,
                title=f"Regulamin współpracy {name}",
                version="1.0",
                body="§ 1. Regulamin określa zasady udzielania świadczeń ubezpieczonym.\n"
                "§ 2. Placówka rozlicza świadczenia według cennika uzgodnionego w serwisie.\n"
                "§ 3. Należności są płatne w ciągu 3 dni roboczych od rozliczenia.",
                effective_from=effective,
            )
            insurers[slug] = insurer
        admin = get_user_model().objects.get(username="admin")
        pdf = b"%PDF-1.4\n% dokument demonstracyjny\n"
        for provider_slug, plan in (
            ("przychodnia-demo", {"tu-zdrowie": "active", "ump": "offer_sent", "medycyna-plus": "ended"}),
            ("centrum-medyczne-vita", {"tu-zdrowie": "rejected", "ump": "terms_accepted"}),
        ):
            provider = Provider.objects.get(slug=provider_slug)
            insurance.accept_service_terms(provider.pk, accepted=True, actor=admin)
            for slug, goal in plan.items():
                insurer = insurers[slug]
                coop = insurance.start(
                    insurance.cooperation(provider.pk, insurer), terms_version="1.0", understood=True, actor=admin
                )
                if goal == "terms_accepted":
                    continue
                insurance.save_parameters(
                    coop,
                    start_date=clock.local_today() - dt.timedelta(days=60),
                    iban="PL61 1090 1014 0000 0712 1981 2874",
                    contact_name="Anna Kierownik",
                    contact_email=provider.email or "kontakt@example.com",
                    contact_phone="",
                )
                for title in insurer.required_documents:
                    insurance.add_document(coop, title=title, upload=ContentFile(pdf, name="dokument.pdf"), actor=admin)
                coop = insurance.send_offer(coop, actor=admin)
                if goal == "ended":
                    coop = insurance.decide(coop, accept=True, reason="", actor=None)
                    insurance.end(coop, confirmed=True, actor=admin)
                elif goal == "active":
                    insurance.decide(coop, accept=True, reason="", actor=None)
                    # G3: the operator loaded the insurer's codes; one location entered right, one wrong.
                    for number, location in enumerate(provider.locations.order_by("number"), start=1):
                        code = f"{slug.upper().replace('-', '')}{provider.pk:03d}{number}"
                        insurance.enter_operator_code(provider.pk, insurer, location.pk, code, actor=None)
                        typed = code if number == 1 else code + "X"
                        insurance.enter_provider_code(provider.pk, insurer, location.pk, typed, actor=admin)
                elif goal == "rejected":
                    insurance.decide(coop, accept=False, reason="Brak aktualnej polisy OC w dokumentach.", actor=None)
        self._price_lists(admin)
        for username, slug, role in DEMO_INSURER_LOGINS:
            person = get_user_model().objects.create_user(
                username, f"{username}@ubezpieczyciel.example", DEMO_INSURER_PASSWORD
            )
            InsurerMembership.objects.create(user=person, insurer=insurers[slug], role=role)
            EmailDevice.objects.create(user=person, name="e-mail", confirmed=True, email=person.email)
        self._payer_schedules(insurers["tu-zdrowie"])
        self._ols(insurers["tu-zdrowie"], admin)

    def _ols(self, insurer, admin):
        """G9: TU Zdrowie's thematic terms for consultations with price limits; Przychodnia Demo
        accepted them and priced two services (one under the limit: preferred); three claims
        (accepted and settled, accepted, waiting) and a settlement due in 3 business days."""
        demo = Provider.objects.get(slug="przychodnia-demo")
        terms = InsurerTerms.objects.create(
            insurer=insurer,
            kind=InsurerTerms.Kind.THEMATIC,
            area=ServiceArea.CONSULTATIONS,
            title="Regulamin tematyczny – konsultacje i zabiegi ambulatoryjne",
            version="1.0",
            body="§ 1. Regulamin określa zasady udzielania konsultacji specjalistycznych ubezpieczonym TU Zdrowie.\n"
            "§ 2. Placówka podaje ceny usług; ceny nie wyższe niż limity są wyróżniane.",
            effective_from=clock.now() - dt.timedelta(days=30),
        )
        limits = {
            code: ThematicService.objects.create(terms=terms, code=code, name=name, limit=Decimal(limit))
            for code, name, limit in (
                ("K-KARD", "Konsultacja kardiologiczna", "200.00"),
                ("K-DERM", "Konsultacja dermatologiczna", "180.00"),
                ("Z-EKG", "EKG spoczynkowe", "50.00"),
            )
        }
        ols.accept_thematic(demo.pk, terms, accepted=True, actor=admin)
        ols.set_prices(
            demo.pk,
            terms,
            {limits["K-KARD"].pk: Decimal("190.00"), limits["Z-EKG"].pk: Decimal("60.00")},
            actor=admin,
        )
        today = clock.local_today()
        claims = [
            ols.file_claim(
                demo.pk,
                insurer,
                service_id=limits[code].pk,
                patient_name=name,
                patient_pesel=pesel,
                service_date=today - dt.timedelta(days=days),
                actor=admin,
            )
            for code, name, pesel, days in (
                ("K-KARD", "Adam Ubezpieczony", "85031501234", 20),
                ("Z-EKG", "Adam Ubezpieczony", "85031501234", 20),
                ("K-KARD", "Beata Ubezpieczona", "44051401359", 2),
            )
        ]
        for claim in claims[:2]:
            ols.decide_claim(claim, accept=True, reason="", actor=None)
        ols.make_settlement(
            demo.pk,
            insurer,
            period_start=today - dt.timedelta(days=30),
            period_end=today - dt.timedelta(days=10),
            actor=admin,
        )

    def _payer_schedules(self, insurer):
        """G6–G8: Przychodnia Demo takes online bookings from TU Zdrowie in dr Nowak's Friday and
        dr Wójcik's Saturday private blocks; the TU Zdrowie agent booked one insured patient with
        a 50% discount and a referral, and the clinic sent a referral back."""
        demo = Provider.objects.get(slug="przychodnia-demo")
        InsuranceService.objects.filter(provider=demo).update(online_registration=True, auto_enable_new=True)
        Cooperation.objects.filter(provider=demo, insurer=insurer).update(online_registration=True)
        payer = Payer.objects.get(provider=demo, insurer_ref=insurer.pk)
        offered = []
        for last_name, weekday, group in (("Nowak", FRI, "KARD"), ("Wójcik", SAT, "DERM")):
            practitioner = Practitioner.objects.get(provider=demo, last_name=last_name)
            if not practitioner.languages:
                practitioner.languages = "polski, angielski"
                practitioner.save(update_fields=["languages"])
            for block in ScheduleBlock.objects.filter(
                schedule__practitioner=practitioner, weekday=weekday, financing=Financing.PRIVATE
            ):
                block.payers.add(payer)
                block.payer_groups.add(ServiceGroup.objects.get(provider=demo, code=group))
                offered.append(block.pk)
        agent = get_user_model().objects.get(username="tu-konsultant")
        slot = payer_booking.offered_slots(insurer, clock.now()).filter(block_id__in=offered).order_by("start")[3]
        appointment = payer_booking.book_for_insured(
            insurer,
            slot.pk,
            patient={
                "first_name": "Ewa",
                "last_name": "Ubezpieczona",
                "pesel": "85031501234",
                "phone": "600 200 300",
                "email": "ewa.ubezpieczona@example.com",
                "accept_requirements": True,
            },
            service_id=Service.objects.get(provider=demo, code="KONS-KARD").pk,
            discount=50,
            referral=payer_booking.ReferralData(
                "TU/2026/0042",
                clock.local_today(),
                clock.local_today() + dt.timedelta(days=30),
                "Konsultacja kardiologiczna",
            ),
            actor=agent,
        )
        referrals.send(
            appointment,
            issued_on=clock.local_today(),
            valid_until=clock.local_today() + dt.timedelta(days=60),
            service=Service.objects.get(provider=demo, code="EKG"),
            actor=get_user_model().objects.get(username="lekarz"),
        )

    def _price_lists(self, admin):
        """G4–G5: TU Zdrowie is Przychodnia Demo's payer; five services overridden to its price
        list, signed with a demo self-signed certificate and sent; then one price changed, so
        the list shows "niewysłane zmiany"."""
        demo = Provider.objects.get(slug="przychodnia-demo")
        payer = Payer.objects.get(provider=demo, insurer_ref=Insurer.objects.get(slug="tu-zdrowie").pk)
        for code in DEMO_TU_PRICE_LIST:
            catalog_pricelists.override(payer, Service.objects.get(provider=demo, code=code), actor=admin)
        certificate = self_signed_pkcs12(demo.name, DEMO_CERTIFICATE_PASSWORD)
        insurer_pricelists.upload_certificate(
            demo.pk,
            upload=ContentFile(certificate, name="przychodnia-demo.p12"),
            password=DEMO_CERTIFICATE_PASSWORD,
            actor=admin,
        )
        insurer_pricelists.publish(payer, password=DEMO_CERTIFICATE_PASSWORD, actor=admin)
        # G5: a commercial contract with TU Zdrowie for next year, the whole Kardiologia range.
        contract = Contract.objects.create(
            provider=demo,
            name="TU Zdrowie – konsultacje 2027",
            signed_on=clock.local_today(),
            valid_from=dt.date(clock.local_today().year + 1, 1, 1),
            valid_to=dt.date(clock.local_today().year + 1, 12, 31),
            payment_type=PaymentType.TRANSFER,
            payer=payer,
            status=ContractStatus.DRAFT,
        )
        contracts.CONTRACT.created(contract, actor=admin)
        contracts.add_whole_range(contract, ServiceGroup.objects.get(provider=demo, code="KARD"), actor=admin)
        contracts.activate(contract, actor=admin)
        echo = Service.objects.get(provider=demo, code="ECHO")
        echo.price = Decimal("300.00")
        echo.save(update_fields=["price"])
