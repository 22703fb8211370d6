"""The terms the product ships with, each version 1.0 in force from 2026-01-01: the platform
terms (patients), the insurance-service terms (providers cooperating with insurers, G1) and
the provider terms (a clinic joining the platform, A1), and the televisit and branded-app terms
(A3; the services they govern are not built yet, so nothing is gated by them so far).
The operator publishes later versions; acceptances always point at the version the person saw."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

EFFECTIVE_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
VERSION = "1.0"


@dataclass(frozen=True)
class Builtin:
    version: str
    title: str
    body: str


def _read(name: str) -> str:
    return (Path(__file__).with_name("data") / name).read_text(encoding="utf-8").strip()


BUILTIN: dict[str, Builtin] = {
    "platform": Builtin(VERSION, "Regulamin serwisu Terminarz", _read(f"platform_terms_{VERSION}.txt")),
    "insurance": Builtin(VERSION, "Regulamin usługi Ubezpieczenia", _read(f"insurance_terms_{VERSION}.txt")),
    "provider": Builtin(VERSION, "Regulamin Świadczeniodawcy", _read(f"provider_terms_{VERSION}.txt")),
    "televisit": Builtin(VERSION, "Regulamin usługi Telewizyta", _read(f"televisit_terms_{VERSION}.txt")),
    "branded_app": Builtin(VERSION, "Regulamin aplikacji mobilnej placówki", _read(f"branded_app_terms_{VERSION}.txt")),
}
# The platform terms, as before.
TITLE = BUILTIN["platform"].title
BODY = BUILTIN["platform"].body
