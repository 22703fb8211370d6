from django.urls import path

from . import views

app_name = "operatordesk"

urlpatterns = [
    path("", views.home, name="home"),
    path("logowanie/", views.LoginView.as_view(), name="login"),
    path("wyloguj/", views.LogoutView.as_view(), name="logout"),
    path("wnioski/", views.applications, name="applications"),
    path("wnioski/<int:application_id>/", views.application, name="application"),
    path("wnioski/<int:application_id>/wypis/", views.application_extract, name="application-extract"),
    path("zmiany-danych/", views.change_requests, name="changes"),
    path("lokalizacje/", views.pending_locations, name="locations"),
    path("rejestr/", views.registry_page, name="registry"),
    path("regulaminy/", views.terms_page, name="terms"),
    path("wsparcie/", views.support_sessions, name="support"),
    path("wsparcie/<int:session_id>/", views.support_patients, name="support-patients"),
    path("regulaminy/<int:document_id>.pdf", views.terms_pdf, name="terms-pdf"),
    path("placowki/", views.providers_page, name="providers"),
]
