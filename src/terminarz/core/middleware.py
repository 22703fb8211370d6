import time

from django.conf import settings
from django.utils import translation


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>` so benchmarks can read server-side latency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.2f}"
        return response


class PolishBackOfficeMiddleware:
    """The back-office, the API and the admin are Polish whatever the browser asks for; the
    patient pages follow the language the patient chose (LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(settings.POLISH_ONLY_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)
