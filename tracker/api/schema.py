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
from ..dates import MAX_DATE_TEXT
from . import authentication  # noqa: F401  (registers the token schemes)

#: What no query value may contain: PostgreSQL refuses NUL characters (``tracker.http``).
NO_NUL_PATTERN = r"^[^\x00]*$"
#: The same, with at least one visible character (text is trimmed before it is checked).
VISIBLE_NO_NUL_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"

#: What an identifier parameter accepts (the form of every slug).
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"

#: Values of one query parameter a request may repeat (``footnote=1&footnote=2``...): each
#: is a condition of the query, and databases refuse queries past a few hundred. More is
#: refused with 400 (``ApiViewMixin.check_query_parameters``); the schema says ``maxItems``.
MAX_VALUES_PER_PARAMETER = 100

#: The longest identifier a query may name (the slug columns' length); longer is 400.
MAX_IDENTIFIER_LENGTH = 120

#: What an HTTP server in front answers for a request line longer than it reads (gunicorn's
#: ``limit_request_line``, 4094 bytes by default): not the tracker's JSON, so no content is
#: declared. A hundred identifiers of two parameters can be that long.
URI_TOO_LONG = {
    "description": "URI Too Long: the request line is longer than the HTTP server reads "
    "(4094 bytes behind gunicorn); answered by that server, not as JSON."
}

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
                    if parameter.get("explode", True):
                        # Repeats are counted; one comma-separated value is one value.
                        parameter["schema"].setdefault("maxItems", MAX_VALUES_PER_PARAMETER)
                    if schema.get("pattern") == SLUG_PATTERN:
                        schema.setdefault("maxLength", MAX_IDENTIFIER_LENGTH)
                if schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
                    if "pattern" not in schema and "format" not in schema:
                        schema["pattern"] = NO_NUL_PATTERN
            if "responses" in operation:
                operation["responses"].setdefault("414", dict(URI_TOO_LONG))
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
            # No text may hold NUL (DRF refuses it; PostgreSQL could not store it).
            for text in (prop, prop.get("items", {})):
                if text.get("type") != "string" or {"pattern", "format", "enum"} & set(text):
                    continue
                if text.get("minLength", 0) >= 1:
                    text["pattern"] = VISIBLE_NO_NUL_PATTERN
                else:
                    text["pattern"] = NO_NUL_PATTERN
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
        components["FuzzyDateRequest"] = _date_object_request(date)
    _declare_date_rules(components)


def _date_object_request(date: dict) -> dict:
    """The object form of a fuzzy date on input: a known date, or the unknown one.

    ``date`` holds the date alone in words (``2019``, ``1980s``, ``September 2019``),
    not only ISO days, so it is the ``plain-fuzzy-date`` format (the words without a
    qualifier). An unknown date (``null``) has no precision and no qualifier: the two
    alternatives say so, where one object with a nullable date could not. Other keys are
    refused, and an object without ``date`` says nothing.
    """
    properties = date.get("properties", {})
    known = {
        "type": "object",
        "additionalProperties": False,
        "required": ["date"],
        "properties": {
            **properties,
            "date": {
                "type": "string",
                "format": "plain-fuzzy-date",
                "minLength": 1,
                "maxLength": MAX_DATE_TEXT,
                "description": properties.get("date", {}).get("description", ""),
            },
        },
    }
    unknown = {
        "type": "object",
        "additionalProperties": False,
        "required": ["date"],
        "properties": {
            "date": {"type": "string", "nullable": True, "enum": [None]},
            "precision": {"type": "string", "nullable": True, "enum": [None]},
            "qualifier": {"type": "string", "enum": [""]},
        },
    }
    return {"description": date.get("description", ""), "oneOf": [known, unknown]}


def _declare_date_rules(components: dict) -> None:
    """``x-body-rules`` ``dates``: the fuzzy dates of a request whose object form has
    rules between its fields (``tracker.api.fields.FuzzyDateField``): a stated precision
    is neither finer than the date nor coarser than its detail (2019-03-05 is no year),
    and early, mid and end of need a month, year or decade."""
    ref = "#/components/schemas/FuzzyDateRequest"
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        fields = [
            field
            for field, prop in component.get("properties", {}).items()
            if any(branch.get("$ref") == ref for branch in prop.get("oneOf", ()))
        ]
        if fields:
            component.setdefault("x-body-rules", []).append({"dates": fields})
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for field, prop in component.get("properties", {}).items():
            # Rows of a list (reported values, status updates) with dates of their own.
            row = prop.get("items", {}).get("$ref", "").rsplit("/", 1)[-1]
            for rule in components.get(row, {}).get("x-body-rules", ()):
                if "dates" in rule and "list" not in rule:
                    component.setdefault("x-body-rules", []).append({"list": field, **rule})
    _declare_disputable_fields(components)


#: What a reported value row needs beside its ``field`` (``tracker.models.claims``): a
#: value its amount and currency, a quantity its number, a date the date ("*": any other
#: field); a deprecated row its reason. ``x-body-rules`` ``needs``: by the value of the key,
#: the row's keys that must be given (not null, not blank, a date object not unknown).
REPORTED_VALUE_NEEDS = {
    "field": {"value": ["amount", "currency"], "quantity": ["quantity"], "*": ["date"]},
    "rank": {"deprecated": ["reason"]},
}


def _declare_disputable_fields(components: dict) -> None:
    """A reported value's ``field`` is one of its record type's disputable facts, a status
    update's ``status`` one of its record type's statuses: the shared row components say
    any, each record's request narrows them (``enum``)."""
    for record_type in registry.RECORD_TYPES:
        model = record_type.model
        for component in (f"{model.__name__}Request", f"Patched{model.__name__}Request"):
            properties = components.get(component, {}).get("properties", {})
            values = properties.get("reported_values")
            if values is not None and "$ref" in values.get("items", {}):
                fields = list(getattr(model, "disputable", ()))
                narrowed = {"properties": {"field": {"type": "string", "enum": fields}}}
                values["items"] = {"allOf": [values["items"], narrowed]}
                rules = components[component].setdefault("x-body-rules", [])
                rules.extend(
                    [
                        {"list": "reported_values", "needs": REPORTED_VALUE_NEEDS},
                        {"list": "reported_values", "once": {"rank": "preferred"}, "per": "field"},
                    ]
                )
            statuses = properties.get("status_updates")
            if statuses is not None and "$ref" in statuses.get("items", {}):
                choices = [value for value, _ in model._meta.get_field("status").choices]
                narrowed = {"properties": {"status": {"type": "string", "enum": choices}}}
                statuses["items"] = {"allOf": [statuses["items"], narrowed]}
                components[component].setdefault("x-body-rules", []).append(
                    {"list": "status_updates", "needs": {"status": {"*": ["as_of"]}}}
                )


def _applies(rule: dict, names: set[str]) -> bool:
    (kind,) = (key for key in rule if key != "description")
    return set(rule[kind]) <= names
