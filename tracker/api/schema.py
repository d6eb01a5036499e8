"""How the OpenAPI schema describes access, query values and the rules between parameters.

drf-spectacular writes the schema from the views; the hooks here add what it cannot
see: anonymous reads as an allowed alternative, what every query value must look
like (not empty, no NUL, at most so long), ``minItems`` on required citations, and
``x-parameter-rules``: the combinations of parameters a list refuses, which OpenAPI
itself cannot express (``.ci/schemathesis_hooks.py`` reads them).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

from .. import registry
from . import authentication  # noqa: F401  (registers the token schemes)

#: What no query value may contain: PostgreSQL refuses NUL characters (``tracker.http``).
NO_NUL_PATTERN = r"^[^\x00]*$"

#: Combinations of query parameters a list (and its CSV export) refuses with 400,
#: as ``x-parameter-rules`` on each operation that has the parameters. ``exclusive``:
#: not together; ``requires``: the first only with the second; ``ordered``: the
#: period of the second (``date_to``) may not end before the first begins.
PARAMETER_RULES = (
    {
        "exclusive": ["updated_since", "ordering"],
        "description": "A list filtered by updated_since is ordered by updated_at, then slug.",
    },
    {
        "exclusive": ["updated_since", "page"],
        "description": "A list filtered by updated_since is paged by cursor.",
    },
    {
        "requires": ["cursor", "updated_since"],
        "description": "A cursor pages only lists filtered by updated_since.",
    },
    {
        "ordered": ["date_from", "date_to"],
        "description": "date_to may not be before date_from.",
    },
)


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
    """What the server checks of every query value, in the schema (a drf-spectacular
    postprocessing hook).

    Every string query parameter has ``minLength: 1`` (the server refuses empty values,
    ``ApiViewMixin.check_query_parameters``) and, unless an enum, pattern or format
    already rules it out, a pattern refusing NUL (``tracker.http``). Required citations
    may not be empty (``minItems: 1``), and list operations carry their
    ``x-parameter-rules``.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            names = set()
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") != "query":
                    continue
                names.add(parameter["name"])
                schema = parameter["schema"]
                schema = schema.get("items", schema) if schema.get("type") == "array" else schema
                if parameter["schema"].get("type") == "array":
                    # An empty list is sent as an empty value, which is refused.
                    parameter["schema"].setdefault("minItems", 1)
                if schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
                    if "pattern" not in schema and "format" not in schema:
                        schema["pattern"] = NO_NUL_PATTERN
            rules = [rule for rule in PARAMETER_RULES if _applies(rule, names)]
            if rules:
                operation["x-parameter-rules"] = rules
    components = result.get("components", {}).get("schemas", {})
    for record_type in registry.RECORD_TYPES:
        if not registry.must_cite(record_type.model):
            continue
        name = record_type.model.__name__
        for component in (f"{name}Request", f"Patched{name}Request"):
            citations = components.get(component, {}).get("properties", {}).get("citations")
            if citations is not None:
                citations["minItems"] = 1
    _declare_body_rules(components)
    return result


#: Rules between the fields of a write body that JSON Schema cannot state, as
#: ``x-body-rules`` on the request component: ``unique``: no two rows of the list share
#: those keys (locators "", null and absent being one); ``distinct``: the two links differ.
BODY_RULES = {
    "CitationRequest": {"unique": ["source", "footnote", "locator"]},
    "ParticipantRequest": {"unique": ["actor"]},
    "PartyRequest": {"unique": ["actor"]},
    "ContractorRequest": {"unique": ["actor"]},
}


def _declare_body_rules(components: dict) -> None:
    """``x-body-rules`` on each record's request components (see :data:`BODY_RULES`)."""
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        rules = []
        for field, prop in component.get("properties", {}).items():
            ref = prop.get("items", {}).get("$ref", "")
            for row, rule in BODY_RULES.items():
                if ref.endswith(f"/{row}"):
                    rules.append({"list": field, **rule})
        if {"supplier", "recipient"} <= set(component.get("properties", {})):
            rules.append({"distinct": ["supplier", "recipient"]})
        if rules:
            component["x-body-rules"] = rules
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            # Text is trimmed before it is checked: a required text needs a visible character.
            if (
                prop.get("type") == "string"
                and prop.get("minLength", 0) >= 1
                and not {"pattern", "format", "enum"} & set(prop)
            ):
                prop["pattern"] = r"\S"
    for component in components.values():
        for name, prop in component.get("properties", {}).items():
            # drf-spectacular adds "" as a oneOf branch beside a format; "" is itself an
            # http-url here, so both branches would match and oneOf fail.
            branches = prop.get("oneOf", [])
            urls = [b for b in branches if b.get("format") == "http-url"]
            if urls and len(branches) == 2:
                component["properties"][name] = {
                    **{k: v for k, v in prop.items() if k != "oneOf"},
                    **urls[0],
                }
    date = components.get("FuzzyDateRequest")
    if date is not None:
        # Other keys are refused, and an object without ``date`` says nothing.
        date["additionalProperties"] = False
        date.setdefault("required", [])
        if "date" not in date["required"]:
            date["required"].append("date")


def _applies(rule: dict, names: set[str]) -> bool:
    (kind,) = (key for key in rule if key != "description")
    return set(rule[kind]) <= names
