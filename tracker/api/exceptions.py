"""Turns the errors the write path can raise into 4xx answers, never a 500.

A database that cannot be reached (restarting, failing over) is answered 503
with ``Retry-After`` so that clients send the request again; a query the
database refuses as too large (sending it again would never help) is a 400. A write whose
connection broke after its commit was stored although answered 503; sent
again, a create is refused (its slug exists) and a change is applied again.
"""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .. import registry
from ..references import blocking_records
from ..versions import StaleRecord, precondition_failed
from .parsers import RequestTooLarge

#: How databases word refusing a query for its size (SQLite's limits; PostgreSQL's
#: class 54 "program limit exceeded" is recognised by its code).
QUERY_TOO_LARGE_MESSAGES = (
    "expression tree is too large",
    "too many sql variables",
    "too many terms in compound select",
    "too many from clause terms",
    "tables in a join",
    "parser stack overflow",
)


def query_too_large(exc: OperationalError) -> bool:
    """Whether the database refused the query for its size, not for being unavailable."""
    if str(getattr(exc.__cause__, "pgcode", "") or "").startswith("54"):
        return True
    message = str(exc).lower()
    return any(words in message for words in QUERY_TOO_LARGE_MESSAGES)


class Conflict(exceptions.APIException):
    """409: the request is valid but conflicts with stored records."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


#: How many identifiers of referring records a 409 names, per kind of record.
NAMED_REFERENCES = 10


def protected_message(exc: ProtectedError | RestrictedError) -> dict:
    """The 409 body: what still refers to a record, named by kind and identifier.

    ``detail`` counts the referring rows (“2 exercise participants”) and names
    the records they belong to (“exercises tsentr-2019, vostok-2018”);
    ``referred_by`` lists those identifiers by resource (``exercises``), for scripts.
    """
    objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", [])
    objects = list(objects)
    counts = Counter(type(obj) for obj in objects)
    parts = sorted(
        f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
        for model, n in counts.items()
    )
    listed = ", ".join(parts) or "other records"
    records = blocking_records(objects, NAMED_REFERENCES)
    named = "; ".join(
        f"{_noun(model, total)} {', '.join(slugs)}"
        + (f" and {total - len(slugs)} more" if total > len(slugs) else "")
        for model, (slugs, total) in sorted(records.items(), key=lambda item: item[0].__name__)
    )
    return {
        "detail": f"This record cannot be deleted while other records refer to it ({listed}"
        + (f": {named}" if named else "")
        + "). Remove those references first.",
        "referred_by": {
            registry.for_model(model).resource: slugs
            for model, (slugs, _total) in sorted(records.items(), key=lambda i: i[0].__name__)
        },
    }


def _noun(model, count: int) -> str:
    meta = model._meta
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)


def exception_handler(exc, context):
    """DRF's handler, plus 412 (stale write), 409 (protected delete), 400/413/503 otherwise."""
    if isinstance(exc, StaleRecord):
        # A write from an old version (If-Match passed, then someone saved first).
        exc = precondition_failed(exc)
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(protected_message(exc))
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RequestDataTooBig):
        # Django's own check (DRF reads request.body): answered as the parser's, with the limit.
        exc = RequestTooLarge()
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError({"non_field_errors": ["A value is out of range."]})
    elif isinstance(exc, OperationalError) and query_too_large(exc):
        exc = exceptions.ValidationError(
            {"detail": "The request asks too much of the database at once; ask for less."}
        )
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The connection broke or could not be made; Django drops it at the end of
        # the request (CONN_HEALTH_CHECKS), so the next request connects afresh.
        return Response(
            {"detail": "The database is unavailable. Retry in a moment."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    return drf_exception_handler(exc, context)


class FormatNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is a 400 naming the parameter, not DRF's bare 404."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            choices = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise ValidationError({"format": [f"Choose from: {choices}."]})
        return matching


class StoredDataConflict(APIException):
    """409: a well-formed body that conflicts with stored data ({field: [messages]})."""

    status_code = 409
    default_detail = "The body conflicts with stored data."
    default_code = "conflict"


def error_codes(codes) -> list[str]:
    """Every error code in a nested structure of DRF error codes."""
    if isinstance(codes, dict):
        return [code for value in codes.values() for code in error_codes(value)]
    if isinstance(codes, list):
        return [code for value in codes for code in error_codes(value)]
    return [str(codes)]
