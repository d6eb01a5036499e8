"""The explorer's pages: home, one page per record, search and the timeline.

Every read goes through :func:`tracker.public.published` (in
:mod:`explorer.records`, :mod:`explorer.timeline` and here), and every list of
record types comes from :mod:`tracker.registry`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from tracker import registry
from tracker.api import views as api_views
from tracker.counting import EstimatedCountPaginator, count_rows
from tracker.models import Change
from tracker.search import contains_any, rank_by_name

from . import charts, cite, records, timeline
from .cache import cached_page
from .records import record_or_404, record_type_or_404

#: Latest changes listed on the home page.
LATEST = 10


def api_links(rt: registry.RecordType, slug: str | None = None, **filters) -> dict:
    """The same data in the API (JSON) and as CSV."""
    if slug:
        # The API's CSV is per list: the record's whole table (its row is in it).
        return {
            "json": reverse(f"api:{rt.api_basename}-detail", args=[slug]),
            "csv": reverse(f"api:{rt.api_basename}-csv"),
        }
    query = f"?{urlencode(filters)}" if filters else ""
    return {
        "json": reverse(f"api:{rt.api_basename}-list") + query,
        "csv": reverse(f"api:{rt.api_basename}-csv") + query,
    }


def actor_data_links(actor) -> list[dict]:
    """For an actor: each list of the API that filters by actor, as JSON and CSV."""
    found = []
    for rt in registry.RECORD_TYPES:
        filterset = api_views.VIEWSETS[rt].filterset_class
        if filterset is not None and "actor" in filterset.base_filters:
            found.append({"record_type": rt, **api_links(rt, actor=actor.slug)})
    return found


def latest_changes(limit: int = LATEST) -> list[dict]:
    """The records changed last (from the change log), newest first, each once.

    A bounded read of the log's newest rows, then one query per record type.
    """
    wanted: dict[tuple[str, str], object] = {}
    rows = (
        Change.objects.filter(deleted=False)
        .order_by("-id")
        .values_list("record_type", "slug", "changed_at")
    )
    for record_type, slug, changed_at in rows[: limit * 5]:
        wanted.setdefault((record_type, slug), changed_at)
    by_type: dict[str, list[str]] = {}
    for record_type, slug in wanted:
        by_type.setdefault(record_type, []).append(slug)
    found = {}
    for name, slugs in by_type.items():
        rt = registry.for_name(name)
        rows = records.with_keys(records.public(rt.model).filter(slug__in=slugs))
        for record in records.gate_keys(list(rows)):
            found[(name, record.slug)] = (rt, record)
    latest = []
    for key, changed_at in wanted.items():
        if key in found and len(latest) < limit:
            rt, record = found[key]
            latest.append(
                {
                    "kind": rt.model._meta.verbose_name,
                    "record": record,
                    "changed_at": changed_at,
                }
            )
    return latest


@require_safe
@cached_page
def home(request):
    """What the tracker is, how much it holds, what changed last, the timeline's overview."""
    counts = []
    for rt in registry.RECORD_TYPES:
        # Exact up to the API's limit, the planner's estimate above it (PostgreSQL):
        # counting a million rows costs more than the rest of the page.
        count, exact = count_rows(records.public(rt.model), settings.API_EXACT_COUNT_LIMIT)
        counts.append({"record_type": rt, "count": count, "exact": exact})
    return render(
        request,
        "explorer/home.html",
        {
            "counts": counts,
            "latest": latest_changes(),
            "overview": timeline.decade_counts({}),
            "timeline_types": registry.on_timeline(),
        },
    )


def _timeline_url(**params) -> str:
    return reverse("explorer:timeline") + "?" + urlencode(params, doseq=True)


@require_safe
@cached_page
def record(request, resource: str, slug: str):
    """One record: its fields, linked records, what refers to it, its citations."""
    rt = record_type_or_404(resource)
    obj = record_or_404(rt, slug)
    is_actor = rt is registry.ACTOR

    def more(listed):
        if is_actor and listed.timeline_dates:
            return _timeline_url(type=listed.resource, actor=obj.slug)
        return ""

    co = records.co_participants(obj) if is_actor else []
    links_label = ""
    if rt.links:
        through = rt.links.model
        links_label = next(
            f.verbose_name for f in rt.model._meta.many_to_many if f.remote_field.through is through
        )
    context = {
        "record_type": rt,
        "record": obj,
        "kind": rt.model._meta.verbose_name,
        "links_label": links_label,
        "citation_text": cite.plain_text(cite.citation_data(request, rt, obj)),
        "title": records.title_of(obj),
        "fields": records.field_rows(obj),
        "linked": records.linked_records(obj),
        "link_rows": records.link_rows(obj),
        "about": records.about_records(obj),
        "citations": records.citations(obj),
        "references": records.references(obj, more),
        "co_participants": co,
        "network": charts.network(obj, co) if co else None,
        "api": api_links(rt, obj.slug),
        "feed_url": reverse("explorer:feed-actor", args=[obj.slug]) if is_actor else "",
        "timeline_url": _timeline_url(actor=obj.slug) if is_actor else "",
        "actor_data": actor_data_links(obj) if is_actor else [],
    }
    return render(request, "explorer/record.html", context)


def robots(request):
    """Crawlers: record pages and the sitemap yes; filtered, sorted and searched lists no."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /search/",
        "Disallow: /*?",
        f"Sitemap: {request.build_absolute_uri(reverse('explorer:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


#: Search results shown per record type (the rest counted, linked to the API's search).
SEARCH_SHOWN = 10
#: Words of a search used (as in the API).
SEARCH_WORDS = 10
#: Matches counted exactly per record type; above, the database's estimate ("about").
#: Counting up to the API's 10,000 read every match of a common word: the page
#: then cost what the matches numbered, not what it shows.
SEARCH_EXACT_COUNT = 100


def search_type(rt: registry.RecordType, words: list[str]) -> dict:
    """Published records of ``rt`` containing every word, ranked as the admin and API rank them."""
    queryset = records.public(rt.model)
    for word in words:
        queryset = queryset.filter(contains_any(rt.model, rt.search_fields, word))
    queryset = records.with_keys(rank_by_name(queryset, " ".join(words)))
    paginator = EstimatedCountPaginator(queryset, SEARCH_SHOWN, exact_limit=SEARCH_EXACT_COUNT)
    page = paginator.page(1)
    return {
        "record_type": rt,
        "records": records.gate_keys(list(page.object_list)),
        "count": paginator.count,
        "exact": paginator.count_is_exact,
        "more": page.has_next(),
        "api": api_links(rt, search=" ".join(words)),
    }


@require_safe
@cached_page
def search(request):
    """Every record type searched at once, results grouped by type, best match first."""
    text = request.GET.get("q", "")[:200]
    words = text.split()[:SEARCH_WORDS]
    groups = [search_type(rt, words) for rt in registry.RECORD_TYPES] if words else []
    groups = [group for group in groups if group["count"]]
    return render(
        request,
        "explorer/search.html",
        {"q": " ".join(words), "groups": groups, "searched": bool(words)},
    )


@require_safe
@cached_page
def timeline_page(request):
    """All dated records on one axis, filtered by the GET form, a window at a time."""
    form = timeline.TimelineForm(request.GET or None)
    data, actor, status = {}, None, 200
    if request.GET and not form.is_valid():
        status = 400
    elif request.GET:
        data = form.cleaned_data
        if data.get("actor"):
            actor = records.public(registry.ACTOR.model).filter(slug=data["actor"]).first()
            if actor is None:
                form.add_error("actor", "No actor has this identifier.")
                data, status = {}, 400
    items, more = timeline.window(data, actor) if status == 200 else ([], False)
    next_url = ""
    if more:
        params = request.GET.copy()
        params["after"] = items[-1].cursor
        next_url = "?" + params.urlencode()
    groups: list[tuple[str, list]] = []
    for item in items:
        if not groups or groups[-1][0] != item.bucket:
            groups.append((item.bucket, []))
        groups[-1][1].append(item)
    context = {
        "form": form,
        "groups": groups,
        "next_url": next_url,
        "actor": actor,
        "types": timeline.type_choices(),
        "chosen": data.get("type") or [],
        "overview": timeline.decade_counts(data, actor) if status == 200 else [],
        "timeline_types": timeline.chosen_types(data),
        "actors": records.public(registry.ACTOR.model)
        .exclude(country="")
        .filter(kind="state")
        .only("slug", "name", "country")
        .order_by("name")[:200],
    }
    return render(request, "explorer/timeline.html", context, status=status)


@require_safe
@cached_page
def charts_page(request):
    """The charts, each with its table."""
    return render(request, "explorer/charts.html", {"charts": charts.all_charts()})
