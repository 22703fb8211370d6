from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from terminarz.api.v1 import api
from terminarz.clinic import calendar_feed_views, subscription_views
from terminarz.notifications.views import sms_status
from terminarz.portal import account_views, dependent_views, dev_views, error_views, marketing_views
from terminarz.portal import email_code_views as email_code
from terminarz.portal import record_views as records_views
from terminarz.portal import waitlist_views as waiting_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("fhir/", include("terminarz.fhir.urls")),
    path("kalendarz/<str:token>.ics", calendar_feed_views.calendar_feed, name="calendar-feed"),
    path("favicon.ico", error_views.favicon),
    path("jezyk/", set_language, name="set-language"),
    path("gabinet/", include("terminarz.clinic.urls")),
    path("ubezpieczyciel/", include("terminarz.payerdesk.urls")),
    path("operator/", include("terminarz.operatordesk.urls")),
    path("admin/", admin.site.urls),
    path("hooks/sms/", sms_status, name="sms-status"),
    path("hooks/abonament/<str:gateway>/", subscription_views.notify, name="subscription-notify"),
    path("lista-rezerwowa/zapisz/", waiting_views.join, name="waitlist-join"),
    path("lista-rezerwowa/<int:entry_id>/", waiting_views.entry_page, name="waitlist-entry"),
    path("lista-rezerwowa/oferta/<str:token>/", waiting_views.offer_page, name="waitlist-offer"),
    path("konto/", account_views.panel, name="account-panel"),
    path("konto/dane/", account_views.profile, name="account-profile"),
    path("konto/kalendarz/", account_views.calendar_feed, name="account-calendar"),
    path("konto/wizyty/<int:appointment_id>/zmien/", account_views.reschedule, name="account-reschedule"),
    path("konto/usun/", account_views.delete_account, name="account-delete"),
    path("konto/subkonta/", dependent_views.dependents_page, name="account-dependents"),
    path("konto/logowanie/kod/", email_code.login_code, name="account-login-code"),
    path("konto/kod-email/", email_code.email_code_settings, name="account-email-code"),
    path("konto/metoda-logowania/", email_code.login_method_page, name="account-login-method"),
    path("rezygnacja/<str:token>/", marketing_views.unsubscribe, name="marketing-unsubscribe"),
    path("konto/dokumenty/", records_views.documents, name="account-documents"),
    path("konto/dokumenty/<int:document_id>/plik/", records_views.document_file, name="account-document-file"),
    path("konto/recepty/", records_views.prescriptions, name="account-prescriptions"),
    path("konto/wnioski/", records_views.rodo_requests, name="account-rodo"),
    path("konto/wnioski/<int:request_id>/wycofaj/", records_views.rodo_withdraw, name="account-rodo-withdraw"),
    path("konto/subkonta/<int:dependent_id>/przekaz/", dependent_views.hand_over, name="account-hand-over"),
    path("konto/przelacz/", dependent_views.switch_account, name="account-switch"),
    path("konto/przejmij/<str:uidb64>/<str:token>/", dependent_views.take_over, name="account-take-over"),
    path("konto/", include("allauth.urls")),
    path("", include("terminarz.portal.urls")),
]

if settings.DEMO_MODE:
    urlpatterns += [
        path("dev/poczta/", dev_views.mailbox, name="dev-mailbox"),
        path("dev/poczta/<int:pk>/", dev_views.mailbox_message, name="dev-mailbox-message"),
    ]

handler403 = "terminarz.portal.error_views.forbidden"
handler404 = "terminarz.portal.error_views.not_found"
handler500 = "terminarz.portal.error_views.server_error"
