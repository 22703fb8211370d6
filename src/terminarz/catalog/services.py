from .dictionaries import SPECIALIZATIONS
from .models import Specialization


def ensure_specializations() -> dict[str, Specialization]:
    """Create the specialization dictionary if missing; returns code → row."""
    existing = {s.code: s for s in Specialization.objects.all()}
    missing = [Specialization(code=c, name=n) for c, n in SPECIALIZATIONS if c not in existing]
    if missing:
        Specialization.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {s.code: s for s in Specialization.objects.all()}
    return existing
