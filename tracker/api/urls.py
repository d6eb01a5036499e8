"""Routes under /api/v1/: the six resources, deletions, the change feed, the schema and its docs."""

from django.http import HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter

from .. import registry
from . import sync, views
from .access import AnonymousRateThrottle, ModelPermissionsOrConfiguredAnonRead
from .exceptions import FormatNegotiation
from .renderers import JSONRenderer

app_name = "api"


class ApiRoot(APIRootView):
    """The index of the resources, let in and throttled as every endpoint is (anonymous
    clients only while ``API_ANONYMOUS_READ``), an unknown ``?format=`` a 400."""

    permission_classes = [ModelPermissionsOrConfiguredAnonRead]
    throttle_classes = [AnonymousRateThrottle]
    content_negotiation_class = FormatNegotiation


router = DefaultRouter()
router.APIRootView = ApiRoot
for record_type in registry.RECORD_TYPES:
    router.register(
        record_type.resource, views.VIEWSETS[record_type], basename=record_type.api_basename
    )
router.register("deletions", views.DeletionViewSet, basename="deletion")
router.register("changes", sync.ChangeFeedViewSet, basename="change")


@csrf_exempt
def not_found(request, path: str = "") -> HttpResponse:
    """Any other path under /api/v1/ (a malformed identifier too): 404 in JSON, not HTML,
    written as every other API error is."""
    body = JSONRenderer().render({"detail": "Not found."})
    return HttpResponse(body, status=404, content_type=JSONRenderer.media_type)


#: ``/api/v1/<resource>.csv``: every matching row of a list, as CSV (its own operation,
#: so that each response has one media type).
class ErrorsInJson:
    """The schema and its docs page as every API path answers: an unknown ``?format=`` is
    a 400 naming it, and every error is JSON (not YAML, nor Swagger UI's HTML page)."""

    content_negotiation_class = FormatNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(ErrorsInJson, SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ``?format=json``)."""


class DocsView(ErrorsInJson, SpectacularSwaggerSplitView):
    """Swagger UI, reading the schema."""


csv_exports = [
    path(
        f"{record_type.resource}.csv",
        views.VIEWSETS[record_type].as_view({"get": "export"}),
        name=f"{record_type.api_basename}-csv",
    )
    for record_type in registry.RECORD_TYPES
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), which the
    # Content-Security-Policy allows; the page template keeps its style in a file too.
    path(
        "docs/",
        DocsView.as_view(url_name="api:schema", template_name="tracker/swagger_ui.html"),
        name="docs",
    ),
    *csv_exports,
    *router.urls,
    re_path(r"^(?P<path>[\s\S]*)$", not_found),
]
