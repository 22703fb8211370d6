from django.urls import path

from . import views

app_name = "payerdesk"

urlpatterns = [
    path("", views.home, name="home"),
    path("logowanie/", views.LoginView.as_view(), name="login"),
    path("wyloguj/", views.LogoutView.as_view(), name="logout"),
    path("oferty/<int:cooperation_id>/", views.offer, name="offer"),
    path("oferty/<int:cooperation_id>/dokumenty/<int:document_id>/", views.offer_document, name="offer-document"),
    path("regulaminy/", views.terms, name="terms"),
    path("regulaminy/<int:terms_id>/limity/", views.terms_limits, name="terms-limits"),
    path("wnioski/", views.claims, name="claims"),
    path("rozliczenia/", views.settlements, name="settlements"),
    path("terminy/", views.slots, name="slots"),
    path("terminy/<int:slot_id>/", views.book, name="book"),
    path("wizyty/", views.visits_list, name="visits"),
    path("wizyty/<int:booking_id>/", views.visit, name="visit"),
    path("cenniki/", views.price_lists, name="price-lists"),
    path("cenniki/<int:publication_id>/", views.price_list, name="price-list"),
    path("cenniki/<int:publication_id>.xml", views.price_list_document, name="price-list-document"),
]
