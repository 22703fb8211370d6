from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from terminarz.api.v1 import api
from terminarz.portal import dev_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("gabinet/", include("terminarz.clinic.urls")),
    path("admin/", admin.site.urls),
    path("", include("terminarz.portal.urls")),
]

if settings.DEMO_MODE:
    urlpatterns += [
        path("dev/poczta/", dev_views.mailbox, name="dev-mailbox"),
        path("dev/poczta/<int:pk>/", dev_views.mailbox_message, name="dev-mailbox-message"),
    ]

handler403 = "terminarz.clinic.views.forbidden"
