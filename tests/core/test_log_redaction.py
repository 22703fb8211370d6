"""Live secret tokens stay out of the request log (issue 8 review, F4): Django writes the path of
every 4xx answer ("Unprocessable Entity: /lista-rezerwowa/oferta/<token>/") and the development
server the whole request line; the token segments are replaced by *** there."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import RequestFactory
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from terminarz.core.logging import RedactSecretTokens
from tests.waiting.test_waitlist import full, join, offer_link  # noqa: F401  (fixture)

TOKEN = "Zq3-sekretny_TOKEN-9xYw"


def messages_of(caplog, logger_name: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger_name]


@pytest.fixture
def server_log(caplog):
    """django.server does not propagate to the root logger, where caplog listens."""
    logger = logging.getLogger("django.server")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)


@pytest.mark.django_db
def test_offer_page_answering_422_logs_no_live_token(client, full, caplog, django_capture_on_commit_callbacks):  # noqa: F811
    from terminarz.booking.services import cancel_appointment_by_patient

    with django_capture_on_commit_callbacks(execute=True):
        join(client, full["practitioner"], "Ala", "ala@example.com")
    freed = full["visits"][2]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    link = offer_link("ala@example.com")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    caplog.set_level(logging.INFO)

    response = client.post(link, {"first_name": "", "last_name": "Czekająca", "email": "ala@example.com"})

    assert response.status_code == 422
    assert messages_of(caplog, "django.request") == ["Unprocessable Entity: /lista-rezerwowa/oferta/***/"]
    assert [r for r in caplog.records if token in r.getMessage()] == []
    logged_request = next(r.request for r in caplog.records if r.name == "django.request")
    assert (logged_request.path, logged_request.get_full_path()) == (
        "/lista-rezerwowa/oferta/***/",
        "/lista-rezerwowa/oferta/***/",
    )
    assert response.wsgi_request.path == link  # the request being served is left alone


@pytest.mark.django_db
def test_account_take_over_answering_422_logs_no_live_token(client, caplog):
    dependent = get_user_model().objects.create_user("dep", "dep@example.com")
    uid = urlsafe_base64_encode(force_bytes(dependent.pk))
    token = default_token_generator.make_token(dependent)
    caplog.set_level(logging.INFO)

    response = client.post(
        f"/konto/przejmij/{uid}/{token}/", {"new_password1": "Haslo-jeden-123", "new_password2": "Inne-haslo-456"}
    )

    assert response.status_code == 422
    assert messages_of(caplog, "django.request") == ["Unprocessable Entity: /konto/przejmij/***/***/"]
    assert [r for r in caplog.records if token in r.getMessage()] == []
    assert [r for r in caplog.records if uid in r.getMessage()] == []


def test_development_server_request_line_is_redacted(server_log):
    logger = logging.getLogger("django.server")
    logger.warning('"%s" %s %s', f"POST /lista-rezerwowa/oferta/{TOKEN}/ HTTP/1.1", "422", "1234")
    logger.info('"%s" %s %s', f"GET /wizyta/12/odwolaj/?t={TOKEN}&x=1 HTTP/1.1", "200", "99")
    logger.info('"%s" %s %s', f"GET /konto/password/reset/key/3-{TOKEN}/ HTTP/1.1", "302", "0")
    logger.info('"%s" %s %s', f"GET /konto/confirm-email/{TOKEN}/ HTTP/1.1", "200", "9")
    logger.info('"%s" %s %s', f"GET /kalendarz/{TOKEN}.ics HTTP/1.1", "200", "7")

    assert messages_of(server_log, "django.server") == [
        '"POST /lista-rezerwowa/oferta/***/ HTTP/1.1" 422 1234',
        '"GET /wizyta/12/odwolaj/?t=***&x=1 HTTP/1.1" 200 99',
        '"GET /konto/password/reset/key/***/ HTTP/1.1" 302 0',
        '"GET /konto/confirm-email/***/ HTTP/1.1" 200 9',
        '"GET /kalendarz/*** HTTP/1.1" 200 7',
    ]


def test_request_carried_by_the_record_is_a_redacted_copy():
    request = RequestFactory().get(f"/wizyta/5/?t={TOKEN}")
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", request.path), None
    )
    record.request = request

    RedactSecretTokens().filter(record)

    assert (record.request.get_full_path(), record.request.GET["t"], record.request.META["QUERY_STRING"]) == (
        "/wizyta/5/?t=***",
        "***",
        "t=***",
    )
    assert request.get_full_path() == f"/wizyta/5/?t={TOKEN}"


def test_the_filter_is_installed_on_both_request_loggers():
    installed = {
        name: [type(f) for f in logging.getLogger(name).filters] for name in ("django.request", "django.server")
    }
    assert installed == {"django.request": [RedactSecretTokens], "django.server": [RedactSecretTokens]}
