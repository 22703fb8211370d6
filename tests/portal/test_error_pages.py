"""Error pages in the product's design and in Polish (issue 11 item 9)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from terminarz.portal.error_views import server_error, too_many_requests
from terminarz.providers.models import Membership
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


def test_a_missing_patient_page_answers_404_in_the_portal_frame(client):
    response = client.get("/nie-ma-takiej-strony/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Nie ma takiej strony" in page
    assert "Szukaj terminu wizyty" in page
    assert "Terminarz · gabinet" not in page


def test_a_missing_back_office_page_answers_404_in_the_back_office_frame(client):
    user = get_user_model().objects.create_user("ala", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=make_provider(), role="registrar")
    client.force_login(user)
    response = client.get("/gabinet/nie-ma-takiej-strony/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Terminarz · gabinet" in page
    assert "Wróć na stronę startową gabinetu" in page


def test_a_page_without_the_permission_answers_403_with_the_reason(client):
    user = get_user_model().objects.create_user("piotr", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=make_provider(), role="practitioner")
    client.force_login(user)
    response = client.get("/gabinet/audyty/")
    assert response.status_code == 403
    assert "Nie masz uprawnień do tej części systemu" in response.content.decode()


def test_an_expired_form_says_nothing_was_saved_and_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/konto/login/", {"login": "a@example.com", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Formularz wygasł" in page
    assert "Nic nie zostało zapisane." in page


def test_too_many_requests_is_429_in_polish():
    request = RequestFactory().get("/")
    request.user = get_user_model()()
    response = too_many_requests(request)
    assert response.status_code == 429
    assert "Zbyt wiele prób w krótkim czasie" in response.content.decode()


def test_the_500_page_renders_without_the_request_context_or_the_database():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Coś poszło nie tak po naszej stronie" in page
    assert 'lang="pl"' in page


def test_the_favicon_is_served_from_static_files(client):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/portal/favicon.svg")


def test_finance_staff_land_on_their_own_work_and_a_403_keeps_the_menu_and_sign_out(client):
    user = get_user_model().objects.create_user("ksiegowa", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=make_provider(), role="finance")
    client.force_login(user)
    landing = client.get("/gabinet/")
    assert (landing.status_code, landing["Location"]) == (302, "/gabinet/platnosci/")
    refused = client.get("/gabinet/dzis/")
    page = refused.content.decode()
    assert refused.status_code == 403
    assert "Wyloguj" in page and "Usługi" in page
    assert 'href="/gabinet/"' in page


def test_the_expired_form_page_opens_the_page_the_form_came_from_not_a_post_only_address():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/konto/login/", {}, HTTP_REFERER="http://testserver/konto/login/?next=/konto/")
    assert 'href="http://testserver/konto/login/?next=/konto/"' in response.content.decode()
    foreign = client.post("/konto/login/", {}, HTTP_REFERER="https://evil.example/")
    assert 'href="/"' in foreign.content.decode()
