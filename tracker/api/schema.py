"""How the OpenAPI schema describes access: anonymous reads are an allowed alternative."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

from . import authentication  # noqa: F401  (registers the token schemes)


class TrackerAutoSchema(AutoSchema):
    """drf-spectacular's schema, with ``{}`` (no credentials) on reads when anonymous
    clients may read (``API_ANONYMOUS_READ``): what ``access.ModelPermissionsOrConfiguredAnonRead``
    lets through."""

    def get_auth(self):
        auths = super().get_auth()
        if self.method in SAFE_METHODS and settings.API_ANONYMOUS_READ and {} not in auths:
            auths = [{}, *auths]
        return auths


def require_query_values(result, generator, request, public):
    """Every string query parameter has ``minLength: 1``: the server refuses empty values
    (``ApiViewMixin.check_query_parameters``). A drf-spectacular postprocessing hook."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") != "query":
                    continue
                schema = parameter["schema"]
                schema = schema.get("items", schema) if schema.get("type") == "array" else schema
                if schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
    return result
