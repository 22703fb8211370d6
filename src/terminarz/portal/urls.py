from django.urls import path

from . import payment_views, views

app_name = "portal"
urlpatterns = [
    path("", views.search, name="search"),
    path("lekarz/<int:pk>/", views.practitioner_card, name="practitioner"),
    path("lekarz/<int:pk>/zdjecie/", views.practitioner_photo, name="practitioner-photo"),
    path("placowka/<int:pk>/", views.provider_card, name="provider"),
    path("rezerwacja/<int:slot_id>/", views.book, name="book"),
    path("regulamin/", views.terms, name="terms"),
    path("wizyta/<int:appointment_id>/", views.confirmation, name="confirmation"),
    path("wizyta/<int:appointment_id>/odwolaj/", views.cancel, name="cancel"),
    path("wizyta/<int:appointment_id>/potwierdz/", views.confirm_booking, name="confirm-booking"),
    path("wizyta/<int:appointment_id>/kalendarz.ics", views.calendar_file, name="calendar-file"),
    path("platnosc/<int:payment_id>/", payment_views.payment, name="payment"),
    path("platnosc/<int:payment_id>/powrot/", payment_views.payment_return, name="payment-return"),
    path("platnosci/powiadomienie/<str:gateway>/", payment_views.payment_notify, name="payment-notify"),
]
