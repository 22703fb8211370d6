from django.urls import path

from . import bookings, calendar_views, org_views, patient_views, schedule_views, staff_access_views, views

app_name = "clinic"
urlpatterns = [
    path("", views.today, name="today"),
    path("dzis/", views.today),
    path("logowanie/", views.LoginView.as_view(), name="login"),
    path("wyloguj/", views.LogoutView.as_view(), name="logout"),
    path("brak-dostepu/", views.no_access, name="no-access"),
    path("placowka/", views.switch_provider, name="switch-provider"),
    path("audyty/", views.audit_log, name="audit"),
    path("terminarz/", calendar_views.calendar_day, name="calendar"),
    path("terminarz/tydzien/", calendar_views.calendar_week, name="calendar-week"),
    path("rezerwacje/", bookings.bookings_list, name="bookings"),
    path("struktura/", org_views.org_structure, name="org"),
    path("struktura/komorki/nowa/", org_views.unit_edit, name="unit-create"),
    path("struktura/komorki/<int:unit_id>/", org_views.unit_edit, name="unit"),
    path("struktura/komorki/<int:unit_id>/godziny/", org_views.unit_hours, name="unit-hours"),
    path(
        "struktura/lokalizacje/<int:location_id>/widocznosc/", org_views.location_visibility, name="location-visibility"
    ),
    path("personel/", org_views.staff_list, name="staff"),
    path("konta/", staff_access_views.staff_accounts, name="staff-accounts"),
    path("konta/nowe/", staff_access_views.staff_account_create, name="staff-account-create"),
    path("konta/<int:membership_id>/", staff_access_views.staff_account_edit, name="staff-account"),
    path("konta/<int:membership_id>/usun/", staff_access_views.staff_account_remove, name="staff-account-remove"),
    path("konta/<int:membership_id>/odblokuj/", staff_access_views.staff_account_unlock, name="staff-account-unlock"),
    path("personel/nowy/", org_views.practitioner_edit, name="practitioner-create"),
    path("personel/<int:practitioner_id>/", org_views.practitioner_edit, name="practitioner"),
    path("harmonogramy/", schedule_views.schedule_list, name="schedules"),
    path("harmonogramy/nowy/", schedule_views.schedule_edit, name="schedule-create"),
    path("harmonogramy/<int:schedule_id>/", schedule_views.schedule_edit, name="schedule"),
    path("harmonogramy/<int:schedule_id>/dzien-wolny/", schedule_views.schedule_day_off, name="schedule-day-off"),
    path("terminy/<int:slot_id>/blokada/", schedule_views.slot_block, name="slot-block"),
    path("pacjenci/", patient_views.patient_list, name="patients"),
    path("pacjenci/nowy/", patient_views.patient_create, name="patient-create"),
    path("pacjenci/<int:patient_id>/", patient_views.patient_detail, name="patient"),
    path("pacjenci/<int:patient_id>/edycja/", patient_views.patient_edit, name="patient-edit"),
    path("pacjenci/<int:patient_id>/karty/", patient_views.card_add, name="card-add"),
    path("pacjenci/<int:patient_id>/karty/<int:card_id>/aktywuj/", patient_views.card_activate, name="card-activate"),
    path("rezerwacje/eksport.<str:fmt>", bookings.bookings_export, name="bookings-export"),
    path("terminy/<int:slot_id>/umow/", calendar_views.desk_booking, name="desk-booking"),
    path("wizyty/<int:appointment_id>/", calendar_views.visit_detail, name="visit"),
    path("wizyty/<int:appointment_id>/odwolaj/", calendar_views.cancel_visit, name="cancel-visit"),
    path("wizyty/<int:appointment_id>/przenies/", calendar_views.move_visit, name="move-visit"),
]
