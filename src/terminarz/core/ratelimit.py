"""Per-IP rate limits for public endpoints; limits come from settings at request time.

Every per-IP count (django-ratelimit on the portal, the API throttle, django-axes, allauth's
rate limits and the human check) takes the client's address from `client_ip`: allauth's rule,
so all of them agree. ``REMOTE_ADDR`` unless production settings trust N proxies
(``TERMINARZ_TRUSTED_PROXY_COUNT`` → ``ALLAUTH_TRUSTED_PROXY_COUNT``); then the N-th address
from the right of X-Forwarded-For, the one the outermost trusted proxy saw. Addresses further
left are written by the client and never used."""

from django.conf import settings
from ninja.throttling import AnonRateThrottle


def client_ip(request) -> str:
    """The client's IP address, as allauth determines it (see the module docstring)."""
    from allauth.account.adapter import get_adapter

    return get_adapter(request).get_client_ip(request)


class SettingsRateThrottle(AnonRateThrottle):
    """Ninja throttle whose rate is read from a setting; TERMINARZ_RATELIMIT=off disables it."""

    def __init__(self, setting: str):
        self.setting = setting
        super().__init__(getattr(settings, setting))
        self.scope = setting.lower()

    def allow_request(self, request) -> bool:
        if not settings.RATELIMIT_ENABLE:
            return True
        rate = getattr(settings, self.setting)
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_ident(self, request) -> str:
        """The same client IP as everywhere else (ninja's own reading trusts any X-Forwarded-For)."""
        return client_ip(request)
