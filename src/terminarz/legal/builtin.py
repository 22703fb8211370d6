"""The platform terms the product ships with (version 1.0, in force from 2026-01-01). The
operator publishes later versions; acceptances always point at the version the person saw."""

import datetime as dt
from pathlib import Path

VERSION = "1.0"
TITLE = "Regulamin serwisu Terminarz"
EFFECTIVE_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

BODY = (Path(__file__).with_name("data") / f"platform_terms_{VERSION}.txt").read_text(encoding="utf-8").strip()
