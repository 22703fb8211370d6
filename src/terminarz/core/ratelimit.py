"""Per-IP rate limits for public endpoints; limits come from settings at request time."""

from django.conf import settings
from django.http import HttpResponse
from ninja.throttling import AnonRateThrottle


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


def ratelimited_view(request, exception) -> HttpResponse:
    return HttpResponse(
        "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
