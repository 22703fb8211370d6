from django.urls import path

from . import views

app_name = "clinic"
urlpatterns = [
    path("", views.today, name="today"),
    path("dzis/", views.today),
    path("logowanie/", views.LoginView.as_view(), name="login"),
    path("wyloguj/", views.LogoutView.as_view(), name="logout"),
    path("brak-dostepu/", views.no_access, name="no-access"),
    path("placowka/", views.switch_provider, name="switch-provider"),
    path("audyty/", views.audit_log, name="audit"),
]
