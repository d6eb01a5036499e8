"""Answers to requests the views never see: malformed query strings and server errors.

* A query string carrying a NUL character is refused with 400 before any
  view runs: no field of the tracker can hold one, and PostgreSQL refuses it
  in a query (which would otherwise surface as a 500 in whichever admin
  filter or API parameter received it).
* Outside the API (which checks its own parameters, ``tracker.api.views``),
  the admin's and the explorer's query strings are checked for what Django's
  views would turn into a 500: more than ``MAX_VALUES_PER_PARAMETER`` values of
  one parameter (each a condition; SQLite refuses the query past its expression
  depth), an empty ``_to_field`` (the admin looks up a field named ""), and a
  date-bar part (``…__year``, ``__month``, ``__day``) of more than four
  digits (beyond what a date holds; Django's changelist overflows). Each is
  a 400 naming the parameter.
* A server error on an API path is answered in JSON like every other API
  answer, not with the HTML error page.
* ``/favicon.ico``, which browsers ask for on every page that names no icon
  (the admin's and the API's), leads to the explorer's icon: a 404 there is
  an error in every editor's browser console.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.views import defaults

from .api.schema import MAX_VALUES_PER_PARAMETER

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    """Whether ``request`` is addressed to the REST API (answered in JSON)."""
    return request.path.startswith(API_PREFIX)


def bad_parameter(request: HttpRequest, name: str, message: str) -> HttpResponse:
    """400 naming query parameter ``name``: JSON keyed by it on API paths (as the API's
    own validation errors are), plain text elsewhere."""
    if is_api(request):
        return JsonResponse({name[:100]: [message]}, status=400)
    return HttpResponseBadRequest(
        f"Query parameter “{name[:100]}”: {message}", content_type="text/plain; charset=utf-8"
    )


class RefuseNulMiddleware:
    """400 for a query string with a NUL character (``%00``) in a name or a value."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return bad_parameter(
                    request, name.replace("\x00", "\\0"), "Contains a NUL character (%00)."
                )
            if not is_api(request):
                problem = view_parameter_problem(name, values)
                if problem:
                    return bad_parameter(request, name, problem)
        return self.get_response(request)


#: The admin changelist's date bar (``start_date__year=2019``).
DATE_PARTS = ("__year", "__month", "__day")


def view_parameter_problem(name: str, values: list[str]) -> str:
    """Why Django's admin or a page would fail on this parameter ("" when it would not)."""
    if len(values) > MAX_VALUES_PER_PARAMETER:
        return (
            f"At most {MAX_VALUES_PER_PARAMETER} values in one request; {len(values)} were given."
        )
    if name == "_to_field" and "" in values:
        return "Give a field name or leave this parameter out."
    if name.endswith(DATE_PARTS) and any(len(value) > 4 for value in values):
        return "A year, month or day has at most four digits."
    return ""


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 answer: JSON on API paths, Django's page elsewhere."""
    if is_api(request):
        return JsonResponse(
            {"detail": "The server failed to answer this request. It has been logged."},
            status=500,
        )
    return defaults.server_error(request)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``: the tracker's icon (the explorer's), under its static name."""
    # Not permanent: the static name changes with the file in production.
    return HttpResponseRedirect(static("explorer/favicon.svg"))
