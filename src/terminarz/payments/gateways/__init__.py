"""Payment gateway adapters behind one interface (`base.Gateway`): `get(name)` gives the
adapter a provider chose, configured from the settings (demo stand-ins without credentials)."""

from .base import Gateway


def get(name: str) -> Gateway:
    if name == "przelewy24":
        from .przelewy24 import Przelewy24

        return Przelewy24.from_settings()
    if name == "autopay":
        from .autopay import Autopay

        return Autopay.from_settings()
    raise LookupError(f"unknown payment gateway {name!r}")
