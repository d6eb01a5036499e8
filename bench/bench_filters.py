"""Benchmark: every filter, ordering and paging parameter of every list, at two scales.

``bench_scale.py`` times the cases chosen by hand; this one walks every way a
user can narrow or sort a list and times each at both scales, side by side:

* each API list (``/api/v1/<type>/``) with each query parameter its OpenAPI
  schema declares (one case per parameter, a value taken from the data: the
  most common one of a field, the first record of a link; and for a field, a
  value no record holds), each ordering both ways, a deep page and a sync
  cursor from the middle of the list;
* each admin changelist with each of its sidebar filters (the first choice
  an editor could click) and sorted by each sortable column, both ways;
* the explorer's timeline with each of its filters and its "Later records"
  link, a record page and its citation files for each type, the feeds, and
  the sitemap index with each section's last page.

Searches are ``bench_scale.py``'s. Usage (from the project root, virtualenv
active, the same two databases as ``bench_scale.py``)::

    python bench/bench_filters.py \\
        --small postgres://postgres@localhost:54342/scale_10k \\
        --large postgres://postgres@localhost:54342/scale_1m

Each database is measured in a child process, twice, alternating, and per case
the lower median counts (as in ``bench_scale.py``). Cases above 1.5x
``large/small`` are listed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import urlencode

from bench_scale import run_script, setup_django, timed

#: API parameters not swept here: the page's length is fixed, searches are
#: bench_scale.py's, and paging has cases of its own.
NOT_SWEPT = {"page_size", "search", "page", "cursor"}
#: Values for parameters whose most common value says little (every record is published).
FIXED = {
    "country": "RU",
    "date_from": "2015-01-01",
    "date_to": "2015-12-31",
    "updated_since": "2020-01-01T00:00:00Z",
    "disputed": "true",
    "publication_status": "published",
    "footnote": "1",
}
#: How far past this ratio a case is listed as not flat.
TARGET = 1.5


def list_paths(client) -> tuple[list[str], dict]:
    """The API's record lists, as its schema declares them (no CSV, no sync feeds),
    and the schema."""
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    return [
        path
        for path, operations in schema["paths"].items()
        if path.endswith("/") and "{" not in path and "get" in operations
        if path.rstrip("/").rsplit("/", 1)[-1] not in ("changes", "deletions")
    ], schema


def common_value(model, field: str) -> str | None:
    """The most common non-empty value of ``field`` in ``model``'s table."""
    from django.db.models import Count

    rows = (
        model.objects.exclude(**{f"{field}__isnull": True})
        .exclude(**{field: ""})
        .values(field)
        .annotate(n=Count("pk"))
        .order_by("-n", field)
    )
    first = rows.first()
    return None if first is None else str(first[field])


def parameter_value(filterset, name: str, model) -> str | None:
    """A value for the list's ``name`` parameter that the data holds."""
    from tracker.api.filter_fields import AllOfFilter

    if name in FIXED:
        return FIXED[name]
    declared = filterset.base_filters[name]
    if isinstance(declared, AllOfFilter):
        first = declared.records.order_by("pk").values_list("slug", flat=True).first()
        return first
    field = declared.field_name
    try:
        model._meta.get_field(field)
    except Exception:  # noqa: BLE001 - not a column: its first choice, if any
        choices = declared.extra.get("choices") or ()
        return str(next(iter(choices))[0]) if choices else None
    return common_value(model, field)


def absent_value(filterset, name: str, model) -> str | None:
    """A value of a field filter that no record holds (a choice none has, or an unused
    word): a filter that finds few rows by reading every row shows there."""
    declared = filterset.base_filters[name]
    field = getattr(declared, "field_name", None)
    if name in FIXED or not field:
        return None
    try:
        model._meta.get_field(field)
    except Exception:  # noqa: BLE001 - not a column of the list's table
        return None
    held = set(model.objects.order_by().values_list(field, flat=True).distinct())
    choices = [str(choice) for choice, _ in declared.extra.get("choices") or ()]
    if choices:
        return next((choice for choice in choices if choice not in held), None)
    return "zz"


def api_cases(client) -> list[tuple[str, str]]:
    """``(label, url)`` for each list's parameters, orderings, a deep page and a cursor."""
    from django.urls import resolve

    from tracker.api.pagination import encode_cursor

    paths, schema = list_paths(client)
    cases = []
    for path in paths:
        view = resolve(path).func.cls
        filterset, model = view.filterset_class, view.queryset.model
        name = path.rstrip("/").rsplit("/", 1)[-1]
        queries = []
        for parameter in schema["paths"][path]["get"].get("parameters", []):
            key = parameter["name"]
            if key in NOT_SWEPT:
                continue
            if key == "ordering":
                for order in filterset.base_filters[key].extra["choices"]:
                    queries.append((f"ordering={order[0]}", {"ordering": order[0]}))
                continue
            value = parameter_value(filterset, key, model)
            if value is not None:
                queries.append((key, {key: value}))
            absent = absent_value(filterset, key, model)
            if absent is not None:
                queries.append((f"{key} none", {key: absent}))
        count = model.objects.count()
        queries.append(("page 50", {"page": str(max(1, min(50, count // 100)))}))
        middle = model.objects.order_by("updated_at", "slug")[count // 2 : count // 2 + 1]
        for row in middle:
            cursor = encode_cursor(row.updated_at, row.slug)
            # A cursor pages a sync: a list filtered by updated_since.
            queries.append(("cursor", {"updated_since": "2000-01-01T00:00:00Z", "cursor": cursor}))
        for label, query in queries:
            url = f"{path}?{urlencode({'page_size': 100, **query})}"
            cases.append((f"api {name} {label}", url))
    return cases


def admin_cases(editor) -> list[tuple[str, str]]:
    """``(label, url)`` for each tracker changelist's sidebar filters and sortable columns."""
    from django.apps import apps
    from django.contrib import admin
    from django.test import RequestFactory
    from django.urls import reverse

    cases = []
    for model in apps.get_app_config("tracker").get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        name = model._meta.model_name
        url = reverse(f"admin:tracker_{name}_changelist")
        request = RequestFactory().get(url)
        request.user = editor
        changelist = model_admin.get_changelist_instance(request)
        for spec in changelist.filter_specs:
            choices = [c for c in spec.choices(changelist) if not c.get("selected")]
            if choices:
                title = getattr(spec, "title", type(spec).__name__)
                cases.append((f"admin {name} filter {title}", url + choices[0]["query_string"]))
        for index, field in enumerate(changelist.list_display):
            if changelist.get_ordering_field(field) is None:
                continue
            for sign in ("", "-"):
                cases.append((f"admin {name} sort {sign}{field}", f"{url}?o={sign}{index}"))
    return cases


def explorer_cases(client) -> list[tuple[str, str]]:
    """``(label, url)`` for the explorer's filters, record pages, feeds and sitemaps."""
    import re

    from explorer.timeline import TimelineForm
    from tracker import registry
    from tracker.models import Actor

    actor = Actor.objects.order_by("pk").values_list("slug", flat=True).first()
    types = [choice for choice, _ in TimelineForm().fields["type"].choices]
    cases = [(f"explorer timeline type={t}", f"/timeline/?type={t}") for t in types]
    cases += [
        ("explorer timeline actor", f"/timeline/?actor={actor}"),
        ("explorer timeline country", "/timeline/?country=RU"),
        ("explorer timeline date_from", "/timeline/?date_from=2015"),
        ("explorer timeline date_to", "/timeline/?date_to=2005"),
    ]
    later = re.search(r'href="([^"]*after=[^"]*)" rel="next', client.get("/timeline/").text)
    if later:
        cases.append(("explorer timeline later records", later.group(1).replace("&amp;", "&")))
    for rt in registry.RECORD_TYPES:
        count = rt.model.objects.count()
        record = rt.model.objects.order_by("pk")[count // 2 : count // 2 + 1].first()
        if record is None:
            continue
        url = record.get_absolute_url()
        cases.append((f"explorer {rt.resource} page", url))
        for fmt in ("txt", "bib", "json"):
            cases.append((f"explorer {rt.resource} cite.{fmt}", f"{url.rstrip('/')}/cite.{fmt}"))
        cases.append((f"explorer feed {rt.resource}", f"/feeds/{rt.resource}/"))
    cases += [("explorer feed", "/feeds/"), ("explorer feed actor", f"/feeds/actors/{actor}/")]
    cases.append(("explorer sitemap index", "/sitemap.xml"))
    last_pages: dict[str, str] = {}
    for loc in re.findall(r"<loc>[^<]*?(/sitemap-[^<]+)</loc>", client.get("/sitemap.xml").text):
        last_pages[loc.split(".xml")[0]] = loc.replace("&amp;", "&")
    cases += [(f"explorer {section[1:]} last page", loc) for section, loc in last_pages.items()]
    return cases


#: The groups of cases ``--only`` selects from.
GROUPS = ("api", "admin", "explorer")


def child(database_url: str, repeat: int, groups: tuple[str, ...] = GROUPS) -> dict:
    """Each case's median milliseconds on one database, and the cases' rows matched."""
    setup_django(database_url)
    from django.contrib.auth.models import User
    from django.test import Client

    from tracker.editors import create_editor

    anonymous, editor_client = Client(), Client()
    editor = User.objects.filter(username="bench-editor").first() or create_editor(
        "bench-editor", os.urandom(16).hex()
    )
    editor_client.force_login(editor)
    from explorer import cache as explorer_cache

    explorer_cache.TIMEOUT = 0  # measure rendering, not the page cache
    results, matched = {}, {}
    walks = {
        "api": lambda: (anonymous, api_cases(anonymous)),
        "admin": lambda: (editor_client, admin_cases(editor)),
        "explorer": lambda: (anonymous, explorer_cases(anonymous)),
    }
    for clients, cases in (walks[group]() for group in groups):
        for label, url in cases:
            response = clients.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            if label.startswith("api "):
                body = response.json()
                matched[label] = body.get("count", len(body.get("results", [])))
            results[label] = timed(lambda url=url, c=clients: c.get(url), repeat)
    return {"results": results, "matched": matched}


def run_child(database_url: str, repeat: int, groups: tuple[str, ...]) -> dict:
    arguments = ["--child", "--db", database_url, "--repeat", str(repeat)]
    arguments += ["--only", ",".join(groups)]
    return run_script(__file__, arguments, f"the run against {database_url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", help="DATABASE_URL of the small database.")
    parser.add_argument("--large", help="DATABASE_URL of the large database.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per case.")
    parser.add_argument(
        "--only",
        default=",".join(GROUPS),
        help=f"Comma-separated groups of cases, of {', '.join(GROUPS)} (default: all).",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    groups = tuple(group for group in args.only.split(",") if group)
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"--only: unknown groups {', '.join(sorted(unknown))}")
    if args.child:
        print(json.dumps(child(args.db, args.repeat, groups)))
        return
    if not (args.small and args.large):
        parser.error("give --small and --large database URLs")
    runs = {"small": [], "large": []}
    for _ in range(2):
        for name, url in (("small", args.small), ("large", args.large)):
            runs[name].append(run_child(url, args.repeat, groups))
            print(f"measured {name}", file=sys.stderr)
    best = {
        name: {label: min(run["results"][label] for run in done) for label in done[0]["results"]}
        for name, done in runs.items()
    }
    matched = {name: done[0]["matched"] for name, done in runs.items()}
    print(f"{'median ms':48} {'small':>8} {'large':>8} {'ratio':>6}  matched small/large")
    slow = []
    for label, small in best["small"].items():
        large = best["large"].get(label)
        if large is None:
            print(f"{label:48} {small:8.1f} {'-':>8}")
            continue
        ratio = large / small
        counts = ""
        if label in matched["small"]:
            counts = f"{matched['small'][label]:,}/{matched['large'].get(label, 0):,}"
        print(f"{label:48} {small:8.1f} {large:8.1f} {ratio:6.2f}  {counts}")
        if ratio > TARGET:
            slow.append(f"{label} {ratio:.2f}")
    print(f"cases above {TARGET}x large/small: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
