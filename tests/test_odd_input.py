"""Odd input never gets a 500: every query parameter of every page, walked.

Routes come from the URL configuration itself (every pattern, each filled with
real identifiers from the seed), so a new page is walked, or
:func:`test_every_route_is_walked` fails. Each route's parameters come from the
code too:

- API operations: the parameters the OpenAPI schema declares (generated from
  the filtersets and the paginator), and ``format``;
- admin changelists: each filter's own parameter names, search, ordering,
  paging and the date bar; admin add and change pages: their form's fields
  (the admin takes initial values from the query); the autocomplete: every
  field of every admin and inline that has one;
- and, for every route, each name the view itself reads from the query (a
  probe request records every ``request.GET`` key asked for: explorer forms,
  the sitemap's page, the Recent changes filters, the comparison's versions).

Each parameter is sent each odd value below, then repeated (two values, and a
thousand). Every answer must be below 500, and answers on API paths are JSON.
Each test prints how many requests it made.

Each record type's admin change form (every field of the form and of the
first row of each inline) is posted odd values too: every answer is below 500
and a refused form leaves the record as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.contrib.admin.views import main as changelist_vars
from django.contrib.contenttypes.models import ContentType
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from reversion import is_registered
from reversion.models import Version

from tests.factories import SourceFactory
from tracker import public, registry
from tracker.api import views

#: What users and scanners send: NUL, huge and negative numbers, non-ASCII digits
#: (superscript two, Arabic-Indic twelve), empty list items, a malformed date, an
#: over-long value.
ODD_VALUES = (
    "\x00",
    "a\x00b",
    "99999999999999999999",
    "-1",
    "1e999",
    "²",
    "١٢",
    ",",
    "a,,b",
    "",
    "2019-13-45",
    "x" * 5000,
)
#: A parameter given more than once: two different values, and a thousand times.
REPEATS = (["1", "2"], ["1"] * 1000)
#: Admin add/change pages only take initial values from the query: the values that
#: reach a query or a conversion (identifiers of linked rows, numbers, dates).
FORM_VALUES = ("\x00", "99999999999999999999", "²", ",", "x" * 5000)
#: Fields of the admin's changelist beside its filters (Django's own names).
CHANGELIST_PARAMETERS = {
    changelist_vars.ALL_VAR,
    changelist_vars.ORDER_VAR,
    changelist_vars.PAGE_VAR,
    changelist_vars.SEARCH_VAR,
    changelist_vars.ERROR_FLAG,
    changelist_vars.IS_FACETS_VAR,
    changelist_vars.IS_POPUP_VAR,
    changelist_vars.TO_FIELD_VAR,
}


# ------------------------------------------------------------------ the routes


def flat_routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every URL pattern of the project, as one route string each."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from flat_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def route_of(url: str) -> str:
    """The route string (as :func:`flat_routes` gives it) that serves ``url``."""
    return resolve(url.split("?")[0]).route.replace("^", "")


def fill(route: str, values: dict[str, str]) -> str:
    """``route`` with each converter and named group replaced by its value."""
    url = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", lambda m: values[m[1]], route)
    # DRF's format suffix converter takes the dot too (``/api/v1/.json``).
    url = url.replace("<drf_format_suffix:format>", "." + values["format"])
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], url)
    # django-reversion's unnamed groups: the record, then one of its versions.
    url = url.replace("([^/]+)", values["object_id"]).replace("(\\d+)", values["version"])
    return "/" + url.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")


def names_in(route: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route))  # named regex groups too


def resource_in(route: str) -> registry.RecordType | None:
    """The record type an API route names literally (``api/v1/^arms-deals/...``)."""
    found = re.match(r"api/v1/\^?([a-z-]+)(?:/|\\\.|\.csv)", route)
    if found is None:
        return None
    try:
        return registry.for_resource(found[1])
    except KeyError:
        return None


def admin_model_in(route: str):
    found = re.match(r"admin/(\w+)/(\w+)/", route)
    if found is None:
        return None
    for model in admin.site._registry:  # noqa: SLF001 (the admin's registry, read only)
        if (model._meta.app_label, model._meta.model_name) == found.groups():
            return model
    return None


def urls_of(route: str, slugs: dict, user) -> list[str]:
    """The URLs walked for ``route``: one per record type where it takes one."""
    names = names_in(route)
    base = {
        "format": "json",
        "fmt": "txt",
        "token": "no-such-upload",
        "url": "no-such-page/",
        "path": "no-such-path/",
        "app_label": "tracker",
        "id": str(user.pk),
        "content_type_id": str(ContentType.objects.get_for_model(registry.ACTOR.model).pk),
        "slug": slugs[registry.ACTOR],
    }
    model = admin_model_in(route)
    if model is not None:
        row = model._default_manager.order_by("pk").first()
        base["object_id"] = str(row.pk if row is not None else 1)
    else:
        base["object_id"] = str(registry.ACTOR.model.objects.get(slug=slugs[registry.ACTOR]).pk)
    versioned = model if model is not None and is_registered(model) else registry.ACTOR.model
    version = Version.objects.get_for_model(versioned).order_by("pk").first()
    base["version"] = str(version.pk if version is not None else 1)
    if version is not None and versioned is model:
        base["object_id"] = version.object_id
    record_type = resource_in(route)
    if record_type is not None:
        base["slug"] = slugs[record_type]
    if "section" in names:
        return [fill(route, {**base, "section": rt.resource}) for rt in registry.RECORD_TYPES]
    if "resource" in names:
        return [
            fill(route, {**base, "resource": rt.resource, "slug": slugs[rt]})
            for rt in registry.RECORD_TYPES
        ]
    if "fmt" in names:
        return [fill(route, {**base, "fmt": fmt}) for fmt in ("txt", "bib", "json")]
    return [fill(route, base)]


# ---------------------------------------------------------- the parameters


def schema_parameters() -> dict[tuple[str, str], list[str]]:
    """Query parameters of each GET operation, by (path template, method), from the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is not None:
            found[path] = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    return found


def changelist_parameters(model, user) -> set[str]:
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = set(CHANGELIST_PARAMETERS)
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


def form_fields(model, user) -> set[str]:
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")
    request.user = user
    return set(model_admin.get_form(request).base_fields)


def autocomplete_targets(user) -> list[dict[str, str]]:
    """The (app, model, field) of every autocomplete field of every admin and inline."""
    request = RequestFactory().get("/")
    request.user = user
    targets = []
    for model in list(admin.site._registry):  # noqa: SLF001 (read only)
        model_admin = admin.site.get_model_admin(model)
        for owner in [model_admin, *model_admin.get_inline_instances(request)]:
            for field in owner.get_autocomplete_fields(request):
                opts = owner.model._meta
                targets.append(
                    {
                        "app_label": opts.app_label,
                        "model_name": opts.model_name,
                        "field_name": field,
                    }
                )
    return targets


@pytest.fixture
def read_names(monkeypatch) -> list[str]:
    """Every query key any view asks ``request.GET`` for while this fixture is active."""
    asked: list[str] = []

    def recording(method):
        def wrapper(self, key, *args, **kwargs):
            if isinstance(key, str):
                asked.append(key)
            return method(self, key, *args, **kwargs)

        return wrapper

    for name in ("get", "getlist", "__getitem__", "__contains__"):
        monkeypatch.setattr(QueryDict, name, recording(getattr(QueryDict, name)))
    return asked


def probe(client, url: str, asked: list[str]) -> set[str]:
    """The query keys the view of ``url`` reads: asked bare, then with a query present."""
    asked.clear()
    client.get(url)
    client.get(url, {"probe": "1"})
    return set(asked) - {"probe"}


# -------------------------------------------------------------------- the walk


class Walk:
    """Sends odd values and repeats; keeps the count and every answer >= 500."""

    def __init__(self, client):
        client.raise_request_exception = False
        self.client = client
        self.requests = 0
        self.failures: list[tuple[str, str, str, int]] = []

    def send(self, url: str, data: dict, name: str, shown: str) -> None:
        response = self.client.get(url, data)
        self.requests += 1
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code >= 500 or (
            url.startswith("/api/v1/")
            and response.status_code >= 400
            and not is_json
            and response.status_code != 414
        ):
            self.failures.append((url, name, shown, response.status_code))

    def parameters(self, url: str, names, values=ODD_VALUES, base: dict | None = None) -> None:
        base = base or {}
        for name in sorted(names):
            for value in values:
                self.send(url, {**base, name: value}, name, repr(value[:20]))
            for repeat in REPEATS:
                self.send(url, {**base, name: repeat}, name, f"{len(repeat)} values")
        # An unknown parameter whose name is odd too.
        self.send(url, {**base, "\x00²": "\x00"}, "\\x00²", "'\\x00'")


def record_slugs() -> dict:
    return {
        rt: public.published(rt.model.objects.order_by("pk")).values_list("slug", flat=True)[0]
        for rt in registry.RECORD_TYPES
    }


def is_api(route: str) -> bool:
    return route.startswith("api/")


def is_admin(route: str) -> bool:
    return route.startswith("admin/")


def template_of(url: str) -> str:
    """The schema's path template for an API URL (``/api/v1/actors/{slug}/``)."""
    match = resolve(url)
    template = url
    for name, value in match.kwargs.items():
        if name != "format":
            template = template.replace(f"/{value}/", f"/{{{name}}}/", 1)
    return template


@pytest.mark.django_db
def test_every_api_parameter(client, seeded, read_names, capsys):
    walk = Walk(client)
    declared = schema_parameters()
    user = type("Anonymous", (), {"pk": 0})()
    for route in filter(is_api, flat_routes()):
        for url in urls_of(route, record_slugs(), user):
            names = probe(client, url, read_names) | {"format"}
            names |= set(declared.get(template_of(url), []))
            walk.parameters(url, names)
    with capsys.disabled():
        print(f"\nAPI: {walk.requests} requests, {len(walk.failures)} answers >= 500 or not JSON")
    assert walk.failures == [], "\n".join(map(str, walk.failures[:60]))


@pytest.fixture
def superuser_client(client, django_user_model):
    """The admin walked as a superuser, who reaches every page of it."""
    user = django_user_model.objects.create_superuser("walker", "walker@example.org", "pw-walk-1")
    client.force_login(user)
    return client, user


@pytest.mark.django_db
def test_every_admin_parameter(superuser_client, seeded, read_names, capsys, monkeypatch):
    client, user = superuser_client
    # Two rows a changelist page: every parameter is still read, checked and sent to
    # the database; drawing the seed's hundred rows per request only made the walk slow.
    for model in list(admin.site._registry):  # noqa: SLF001 (read only)
        monkeypatch.setattr(admin.site.get_model_admin(model), "list_per_page", 2)
    walk = Walk(client)
    slugs = record_slugs()
    for route in filter(is_admin, flat_routes()):
        if route == "admin/logout/":
            continue  # a GET is refused (405) before anything is read; it would log out
        for url in urls_of(route, slugs, user):
            names = probe(client, url, read_names)
            if url == "/admin/autocomplete/":
                for target in autocomplete_targets(user):
                    walk.parameters(url, names | {"term", "page"}, base=target)
                continue
            model = admin_model_in(route)
            if model is not None and route.endswith(f"{model._meta.model_name}/"):
                names |= changelist_parameters(model, user)
            elif model is not None and route.endswith(("add/", "change/")):
                walk.parameters(url, form_fields(model, user) - names, values=FORM_VALUES)
            walk.parameters(url, names)
    with capsys.disabled():
        print(f"\nAdmin: {walk.requests} requests, {len(walk.failures)} answers >= 500")
    assert walk.failures == [], "\n".join(map(str, walk.failures[:60]))


@pytest.mark.django_db
def test_every_explorer_parameter(client, seeded, read_names, capsys):
    walk = Walk(client)
    user = type("Anonymous", (), {"pk": 0})()
    slugs = record_slugs()
    for route in flat_routes():
        if is_api(route) or is_admin(route):
            continue
        for url in urls_of(route, slugs, user):
            walk.parameters(url, probe(client, url, read_names))
    with capsys.disabled():
        print(f"\nExplorer and the rest: {walk.requests} requests, {len(walk.failures)} >= 500")
    assert walk.failures == [], "\n".join(map(str, walk.failures[:60]))


@pytest.mark.django_db
def test_every_route_is_walked(seeded, django_user_model):
    """Each URL pattern is reached by a walked URL (none is left out by its filling)."""
    user = django_user_model.objects.create_superuser("walker", "walker@example.org", "pw-walk-1")
    slugs = record_slugs()
    routes = [r.replace("^", "") for r in flat_routes() if r != "admin/logout/"]
    walked = {route_of(url) for route in flat_routes() for url in urls_of(route, slugs, user)}
    assert sorted(set(routes) - walked) == []


# ------------------------------------------------------ what the walk found


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_an_unknown_format_of_the_schema_or_its_docs_is_a_400_in_json(client, path):
    response = client.get(path, {"format": "x"})
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")


@pytest.mark.django_db
def test_over_100_values_of_an_admin_filter_are_a_400_naming_it(superuser_client):
    client, _ = superuser_client
    response = client.get("/admin/tracker/citation/", {"footnote": ["1"] * 101})
    assert (response.status_code, response.content.decode()) == (
        400,
        "Query parameter “footnote”: At most 100 values in one request; 101 were given.",
    )


@pytest.mark.django_db
def test_an_empty_to_field_on_an_admin_page_is_a_400(superuser_client):
    client, user = superuser_client
    response = client.get(f"/admin/auth/user/{user.pk}/change/", {"_to_field": ""})
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_date_bar_year_beyond_a_date_is_a_400_in_an_admin_not_the_trackers(
    superuser_client,
):
    client, _ = superuser_client
    response = client.get("/admin/axes/accesslog/", {"attempt_time__year": "9" * 20})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "9" * 20, ","])
def test_an_add_page_leaves_out_an_initial_link_that_names_no_row(superuser_client, value):
    client, _ = superuser_client
    response = client.get("/admin/tracker/citation/add/", {"source": value})
    assert (response.status_code, "source" in response.context["adminform"].form.initial) == (
        200,
        False,
    )


@pytest.mark.django_db
def test_an_add_page_keeps_an_initial_link_to_a_row(superuser_client):
    client, _ = superuser_client
    source = SourceFactory()
    response = client.get("/admin/tracker/citation/add/", {"source": str(source.pk)})
    assert response.context["adminform"].form.initial["source"] == str(source.pk)


@pytest.mark.django_db
def test_a_server_error_on_an_api_path_answers_json(client, monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.VIEWSETS[registry.ACTOR], "list", fail)
    client.raise_request_exception = False
    response = client.get("/api/v1/actors/")
    assert (response.status_code, response["Content-Type"], response.json()) == (
        500,
        "application/json",
        {"detail": "The server failed to answer this request. It has been logged."},
    )
