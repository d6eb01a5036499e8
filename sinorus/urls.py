"""URL configuration: the admin for editors, the API for everyone else."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.admin.changes import recent_changes
from tracker.admin.imports import confirm_import, import_records
from tracker.admin.publication import review_list

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
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
]

#: A server error on an API path is answered in JSON (tracker.http).
handler500 = "tracker.http.server_error"
