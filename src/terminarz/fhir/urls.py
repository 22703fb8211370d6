from django.urls import path, re_path

from . import auth, bulk, operations, views

app_name = "fhir"

urlpatterns = [
    path("r4/metadata", views.metadata, name="metadata"),
    path("r4/.well-known/smart-configuration", auth.smart_configuration, name="smart-configuration"),
    path("auth/token", auth.token, name="token"),
    path("r4/Appointment/$find", operations.find, name="appointment-find"),
    path("r4/Appointment/$hold", operations.hold, name="appointment-hold"),
    path("r4/Appointment/$book", operations.book, name="appointment-book"),
    # SMART Scheduling Links: the whole platform, and one provider.
    path("smart/$bulk-publish", bulk.manifest, name="smart-manifest"),
    path("smart/<str:file>.ndjson", bulk.ndjson, name="smart-file"),
    path("smart/<int:provider_id>/$bulk-publish", bulk.manifest, name="smart-provider-manifest"),
    path("smart/<int:provider_id>/<str:file>.ndjson", bulk.ndjson, name="smart-provider-file"),
    re_path(r"^r4/(?P<kind>[A-Za-z]{1,40})/?$", views.collection, name="search"),
    re_path(r"^r4/(?P<kind>[A-Za-z]{1,40})/(?P<resource_id>[^/]{1,64})/?$", views.resource, name="read"),
]
