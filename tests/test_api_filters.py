"""Filtering, searching, ordering and paging lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from tests.api_factories import (
    DAY,
    MONTH,
    YEAR,
    day,
    linked_deal,
    linked_exercise,
    linked_statement,
    slugs,
)
from tests.factories import ActorFactory, ExerciseFactory, SourceFactory
from tracker.api.filters import ExerciseFilterSet
from tracker.dates import Precision
from tracker.models import Exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(db):
    """Three exercises: China+Iran+Russia (2019), China+Russia (2018), Russia alone (2019)."""
    china = ActorFactory(slug="china", name="China", country="CN")
    russia = ActorFactory(slug="russia", name="Russia", country="RU")
    iran = ActorFactory(slug="iran", name="Iran", country="IR")
    linked_exercise(
        "mosi-2019",
        iran,
        china,
        russia,
        name="Marine Security Belt",
        start_date=day("2019-12-27"),
        start_date_precision=DAY,
    )
    linked_exercise(
        "vostok-2018", russia, china, start_date=day("2018-09-01"), start_date_precision=MONTH
    )
    linked_exercise("tsentr-2019", russia, start_date=day("2019-09-16"), start_date_precision=DAY)
    return china, russia, iran


def test_actor_filter_with_two_values_means_both_took_part(api, trio):
    response = api.get("/api/v1/exercises/?actor=china&actor=iran")

    assert slugs(response) == ["mosi-2019"]


def test_country_filter_with_two_values_means_both_countries(api, trio):
    response = api.get("/api/v1/exercises/?country=CN&country=RU")

    assert slugs(response) == ["vostok-2018", "mosi-2019"]


def test_actor_filter_lists_each_record_once(api, trio):
    response = api.get("/api/v1/exercises/?country=RU")

    assert slugs(response) == ["vostok-2018", "tsentr-2019", "mosi-2019"]


def test_date_range_keeps_exercises_overlapping_2019(api, trio):
    response = api.get("/api/v1/exercises/?date_from=2019-01-01&date_to=2019-12-31")

    assert slugs(response) == ["tsentr-2019", "mosi-2019"]


def test_date_range_respects_month_precision(api, trio):
    # "September 2018" reaches 30 September, so a range starting mid-month finds it.
    response = api.get("/api/v1/exercises/?date_from=2018-09-20&date_to=2018-10-31")

    assert slugs(response) == ["vostok-2018"]


def test_date_range_combines_with_actors(api, trio):
    response = api.get(
        "/api/v1/exercises/?date_from=2019-01-01&date_to=2019-12-31&actor=china&actor=iran"
    )

    assert slugs(response) == ["mosi-2019"]


def test_date_to_before_date_from_is_400(api, trio):
    response = api.get("/api/v1/exercises/?date_from=2019-12-31&date_to=2019-01-01")

    assert response.json() == {"date_to": ["date_to is before date_from."]}


def test_malformed_date_is_400(api, trio):
    response = api.get("/api/v1/exercises/?date_from=2019-13-01")

    assert (response.status_code, list(response.json())) == (400, ["date_from"])


def test_unknown_query_parameter_is_400_naming_it(api, trio):
    response = api.get("/api/v1/exercises/?actors=china")

    assert (response.status_code, response.json()["unknown_parameters"][0]) == (
        400,
        "Unknown query parameter: actors.",
    )


def test_unknown_query_parameter_on_detail_is_400(api, trio):
    response = api.get("/api/v1/exercises/mosi-2019/?expand=all")

    assert response.status_code == 400


def test_unknown_actor_slug_matches_nothing(api, trio):
    response = api.get("/api/v1/exercises/?actor=atlantis")

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_unknown_slug_alongside_a_known_one_matches_nothing(api, trio):
    response = api.get("/api/v1/exercises/?actor=china&actor=atlantis")

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_actor_value_with_nul_character_is_400(api, trio):
    response = api.get("/api/v1/exercises/?actor=chi%00na")

    assert response.status_code == 400


def test_search_with_nul_character_is_400(api, trio):
    response = api.get("/api/v1/exercises/?search=a%00b")

    assert response.status_code == 400


def test_search_finds_words_in_names_case_insensitively(api, trio):
    response = api.get("/api/v1/exercises/?search=security%20MARINE")

    assert slugs(response) == ["mosi-2019"]


def test_dollar_prefixed_search_is_plain_text_not_a_regex(api, trio):
    ExerciseFactory(slug="dollar", name="Price $.* list")

    response = api.get("/api/v1/exercises/?search=$.*")

    assert slugs(response) == ["dollar"]


def test_domain_filter_with_two_values_means_either(api):
    ExerciseFactory(slug="naval-1", domain="naval")
    ExerciseFactory(slug="air-1", domain="air")
    ExerciseFactory(slug="land-1", domain="land")

    response = api.get("/api/v1/exercises/?domain=naval&domain=air&ordering=slug")

    assert slugs(response) == ["air-1", "naval-1"]


def test_invalid_choice_is_400(api):
    response = api.get("/api/v1/exercises/?domain=space")

    assert (response.status_code, list(response.json())) == (400, ["domain"])


def test_ordering_descending_breaks_ties_by_slug(api):
    ExerciseFactory(slug="b", name="Same")
    ExerciseFactory(slug="a", name="Same")
    ExerciseFactory(slug="c", name="Other")

    response = api.get("/api/v1/exercises/?ordering=-name")

    assert slugs(response) == ["a", "b", "c"]


def test_ordering_by_unknown_field_is_400(api):
    response = api.get("/api/v1/exercises/?ordering=summary")

    assert response.status_code == 400


@pytest.mark.parametrize("ordering", ["-slug,", "slug,,name", ",slug"])
def test_ordering_with_an_empty_item_is_400_wherever_it_is(api, ordering):
    response = api.get(f"/api/v1/exercises/?ordering={ordering}")

    assert (response.status_code, response.json()) == (
        400,
        {"ordering": ["Choose from created_at, name, slug, start_date, updated_at."]},
    )


def test_source_filter_lists_records_citing_that_source(api, trio):
    cited = SourceFactory(slug="kashin-2019")
    linked_exercise("peace-mission-2021", source=cited)

    response = api.get("/api/v1/exercises/?source=kashin-2019")

    assert slugs(response) == ["peace-mission-2021"]


def test_footnote_filter_lists_records_citing_that_footnote(api, trio):
    linked_exercise("peace-mission-2021", footnote=41)

    response = api.get("/api/v1/exercises/?footnote=41")

    assert slugs(response) == ["peace-mission-2021"]


def test_footnote_filter_lists_only_records_of_the_list_citing_it(api):
    from tests.factories import CitationFactory, StatementFactory

    cited_actor = ActorFactory(slug="cited-actor")
    CitationFactory(actor=cited_actor, footnote=12)
    ActorFactory(slug="uncited-actor")
    CitationFactory(statement=StatementFactory(), footnote=12)

    response = api.get("/api/v1/actors/?footnote=12")

    assert slugs(response) == ["cited-actor"]


def test_footnote_and_disputed_filters_read_only_the_lists_own_rows(api):
    from tests.factories import StatementFactory

    StatementFactory()
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/statements/?footnote=12&disputed=true")
    listed = [q["sql"] for q in queries if 'FROM "tracker_statement"' in q["sql"]]

    # Citations and reported values of other types hold no statement: skipped by the
    # index on the statement's key rather than read (actors ?footnote=1: 18.3 -> 3.3 ms).
    assert [sql.count('"statement_id" IS NOT NULL') for sql in listed[:1]] == [2]


@pytest.mark.parametrize("value", ["0", "-1", "99999999999999999999999", "x"])
def test_footnote_out_of_range_is_400(api, value):
    assert api.get(f"/api/v1/exercises/?footnote={value}").status_code == 400


def test_statement_speaker_filter(api):
    kashin = ActorFactory(slug="kashin", name="Vasily Kashin")
    other = ActorFactory(slug="other")
    linked_statement("by-kashin", kashin)
    linked_statement("by-other", other, about_actors=[kashin])

    response = api.get("/api/v1/statements/?speaker=kashin")

    assert slugs(response) == ["by-kashin"]


def test_statement_actor_filter_covers_speaker_and_subject(api):
    kashin = ActorFactory(slug="kashin", name="Vasily Kashin")
    other = ActorFactory(slug="other")
    linked_statement("by-kashin", kashin)
    linked_statement("by-other", other, about_actors=[kashin])
    linked_statement("unrelated", other)

    response = api.get("/api/v1/statements/?actor=kashin&ordering=slug")

    assert slugs(response) == ["by-kashin", "by-other"]


def test_arms_deal_actor_filter_covers_supplier_recipient_and_contractors(api):
    russia, china = ActorFactory(slug="russia"), ActorFactory(slug="china")
    roe = ActorFactory(slug="roe")
    linked_deal("s-400", russia, china, roe)
    linked_deal("su-35", russia, china)

    response = api.get("/api/v1/arms-deals/?actor=roe&actor=china")

    assert slugs(response) == ["s-400"]


def test_arms_deal_date_range_uses_contract_date_or_period(api):
    russia, china = ActorFactory(slug="russia"), ActorFactory(slug="china")
    linked_deal(
        "aggregate",
        russia,
        china,
        period_start=day("2010-01-01"),
        period_start_precision=YEAR,
        period_end=day("2019-01-01"),
        period_end_precision=YEAR,
    )
    linked_deal(
        "contract", russia, china, contract_date=day("2015-11-01"), contract_date_precision=MONTH
    )
    linked_deal(
        "later", russia, china, contract_date=day("2021-01-01"), contract_date_precision=YEAR
    )

    response = api.get("/api/v1/arms-deals/?date_from=2015-01-01&date_to=2015-12-31&ordering=slug")

    assert slugs(response) == ["aggregate", "contract"]


def test_actor_list_filters_by_parent(api):
    china = ActorFactory(slug="china")
    ActorFactory(slug="pla-navy", parent=china)
    ActorFactory(slug="russia")

    response = api.get("/api/v1/actors/?parent=china")

    assert slugs(response) == ["pla-navy"]


def test_actor_search_looks_in_aliases(api):
    ActorFactory(slug="shoygu", name="Sergey Shoygu", aliases=["Shoigu"])
    ActorFactory(slug="kashin", name="Vasily Kashin")

    response = api.get("/api/v1/actors/?search=shoigu")

    assert slugs(response) == ["shoygu"]


def test_page_size_sets_rows_per_page(api):
    for n in range(3):
        ExerciseFactory(slug=f"e-{n}")

    response = api.get("/api/v1/exercises/?page_size=2&ordering=slug")

    assert (slugs(response), response.json()["count"]) == (["e-0", "e-1"], 3)


def test_second_page_follows_the_first(api):
    for n in range(3):
        ExerciseFactory(slug=f"e-{n}")

    response = api.get("/api/v1/exercises/?page_size=2&ordering=slug&page=2")

    assert slugs(response) == ["e-2"]


@pytest.mark.parametrize("size", ["501", "0", "-5", "abc", "1e3", "99999999999999999999999"])
def test_page_size_outside_1_to_cap_is_400(api, size):
    response = api.get(f"/api/v1/exercises/?page_size={size}")

    assert (response.status_code, list(response.json())) == (400, ["page_size"])


def test_page_beyond_the_last_is_404(api):
    assert api.get("/api/v1/exercises/?page=99999999999999999999").status_code == 404


@pytest.mark.skipif(
    "postgres" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="trigram indexes exist on PostgreSQL only",
)
def test_search_on_postgresql_can_use_the_trigram_index(db):
    from django.db import connection

    from tracker import registry
    from tracker.models import Exercise
    from tracker.search import contains_any

    # The search's condition itself (the list may rank and page its matches by key).
    fields = registry.EXERCISE.search_fields
    queryset = Exercise.objects.filter(contains_any(Exercise, fields, "tsentr"))
    with connection.cursor() as cursor:
        # Tiny test tables are cheaper to scan; forbid full scans to see whether the
        # trigram indexes fit the search (bitmap scans are the only way left).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()

    assert [name in plan for name in ("exercise_name_trgm", "exercise_summary_trgm")] == [
        True,
        True,
    ]


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=0999-12"])
def test_dates_outside_what_the_database_takes_are_400(api, query):
    response = api.get(f"/api/v1/exercises/?{query}")

    assert (response.status_code, list(response.json())) == (400, [query.split("=")[0]])


def test_updated_since_with_an_unusual_offset_is_read_in_utc(api):
    # PostgreSQL itself refuses offsets beyond 15:59; the API converts to UTC first.
    response = api.get("/api/v1/exercises/?updated_since=1241-10-25T14:35:49%2B16:26")

    assert response.status_code == 200


def test_statement_date_range_keeps_coarse_dates_that_reach_date_from(api):
    for slug, value, precision in [
        ("decade-2010s", "2010-01-01", Precision.DECADE),
        ("year-2014", "2014-01-01", YEAR),
        ("day-2014-05", "2014-05-31", DAY),
        ("day-2014-07", "2014-07-01", DAY),
    ]:
        linked_statement(slug, None, date=day(value), date_precision=precision)

    response = api.get("/api/v1/statements/?date_from=2014-06-01")

    assert slugs(response) == ["decade-2010s", "year-2014", "day-2014-07"]


def test_statement_date_range_beyond_every_date_is_empty(api):
    linked_statement("day-2014-07", None, date=day("2014-07-01"), date_precision=DAY)

    response = api.get("/api/v1/statements/?date_from=2014-07-02")

    assert (slugs(response), response.json()["count"]) == ([], 0)


def test_a_value_that_is_no_identifier_is_refused_before_any_query(api, trio):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/exercises/?actor=china&actor=chi%00na")

    assert (response.status_code, response.json(), len(queries)) == (
        400,
        {"actor": ["Contains a NUL character (%00)."]},
        0,
    )


def test_each_filterset_has_filters_of_its_own_and_the_declared_ones_stay_untouched():
    ExerciseFactory(slug="zapad-2021", name="Zapad-2021")
    ExerciseFactory(slug="vostok-2018", name="Vostok-2018")
    first = ExerciseFilterSet(QueryDict("search=zapad"), Exercise.objects.all())
    second = ExerciseFilterSet(QueryDict("search=vostok"), Exercise.objects.all())

    found = [[row.slug for row in filterset.qs] for filterset in (first, second)]
    declared = ExerciseFilterSet.base_filters["search"]
    assert (
        found,
        first.filters["search"].parent is first,
        second.filters["search"].parent is second,
        getattr(declared, "parent", None),
        first.form.__class__ is second.form.__class__,
        first.form.fields["actor"] is not second.form.fields["actor"],
    ) == ([["zapad-2021"], ["vostok-2018"]], True, True, None, True, True)
