"""Payment gateway adapters behind one interface (`base.Gateway`): `get(name)` gives the
adapter a provider chose, configured from the settings (demo stand-ins without credentials).
A gateway without its secret is refused: nothing may be signed or checked with an empty key."""

from django.conf import settings

from .base import Gateway, GatewayError


class GatewayNotConfigured(GatewayError):
    def __init__(self, name: str):
        super().__init__(f"payment gateway {name!r} has no credentials configured", retry=False)


def configured(name: str) -> bool:
    if name == "przelewy24":
        return bool(settings.P24_MERCHANT_ID and settings.P24_POS_ID and settings.P24_API_KEY and settings.P24_CRC)
    if name == "autopay":
        return bool(settings.AUTOPAY_SERVICE_ID and settings.AUTOPAY_SHARED_KEY)
    return False


def get(name: str) -> Gateway:
    if not configured(name):
        raise GatewayNotConfigured(name)
    if name == "przelewy24":
        from .przelewy24 import Przelewy24

        return Przelewy24.from_settings()
    from .autopay import Autopay

    return Autopay.from_settings()
