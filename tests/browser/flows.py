"""Steps of the patient's booking flow shared by the browser journeys."""

from playwright.sync_api import expect


def to_review(page) -> None:
    page.get_by_role("button", name="Dalej – podsumowanie").click()


def confirm_on_review(page) -> None:
    """On the review step: accept the terms and confirm."""
    expect(page.get_by_role("heading", name="Sprawdź i potwierdź rezerwację")).to_be_visible()
    page.get_by_label("Akceptuję regulamin serwisu Terminarz (wersja 1.0)").check()
    page.get_by_role("button", name="Potwierdzam rezerwację").click()


def book_from_form(page) -> None:
    to_review(page)
    confirm_on_review(page)
