"""URL configuration: the admin for editors, the API for programs, the explorer for readers."""

from django.contrib import admin
from django.urls import include, path

from tracker.admin.changes import recent_changes
from tracker.admin.imports import confirm_import, import_records
from tracker.admin.publication import review_list
from tracker.http import favicon
from tracker.routing import healthz

urlpatterns = [
    path(
        "admin/recent-changes/",
        admin.site.admin_view(recent_changes),
        name="tracker-recent-changes",
    ),
    path("admin/import/", admin.site.admin_view(import_records), name="tracker-import"),
    path(
        "admin/import/<str:token>/",
        admin.site.admin_view(confirm_import),
        name="tracker-import-confirm",
    ),
    path("admin/review/", admin.site.admin_view(review_list), name="tracker-review"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    # The primary answers, and each read replica's lag (docs/replicas.md).
    path("healthz/", healthz, name="healthz"),
    # Browsers ask for it on the admin's and the API's pages, which name no icon.
    path("favicon.ico", favicon, name="favicon"),
    # Last: its record pages (/<resource>/<slug>/) take what the others leave.
    path("", include("explorer.urls")),
]

#: A server error on an API path is answered in JSON (tracker.http).
handler500 = "tracker.http.server_error"
