"""``tracker.key_conditions.AnyOf``: a column in the keys of other querysets, each compiled once."""

from __future__ import annotations

import pickle

import pytest
from django.db.models import OuterRef, Q

from tests.factories import ActorFactory, StatementFactory
from tracker import key_conditions
from tracker.key_conditions import AnyOf
from tracker.models import Actor, Statement

pytestmark = pytest.mark.django_db


def slugs(queryset) -> list[str]:
    return sorted(queryset.values_list("slug", flat=True))


def test_rows_whose_key_is_in_any_of_the_querysets():
    for slug in ("navy", "army", "air-force"):
        ActorFactory(slug=slug, name=slug.title())

    found = Actor.objects.filter(
        AnyOf(
            "pk",
            Actor.objects.filter(slug="navy").values("pk"),
            Actor.objects.filter(name="Army").values("pk"),
        )
    )

    assert slugs(found) == ["army", "navy"]


def test_a_queryset_that_matches_nothing_adds_nothing():
    ActorFactory(slug="navy")

    found = Actor.objects.filter(
        AnyOf("pk", Actor.objects.none(), Actor.objects.filter(slug="navy").values("pk"))
    )
    none_at_all = Actor.objects.filter(AnyOf("pk", Actor.objects.none()))

    assert (slugs(found), slugs(none_at_all)) == (["navy"], [])


def test_a_subquery_of_the_outer_querys_own_table_reads_its_own_rows():
    # The subquery's SQL names the table as the outer query does: its own rows, not the outer row.
    for slug, text in (("one", "Joint patrol"), ("two", "Arms sale"), ("three", "Joint drill")):
        StatementFactory(slug=slug, text=text)

    found = Statement.objects.filter(
        ~Q(slug="three"),
        AnyOf("pk", Statement.objects.filter(text__startswith="Joint").values("pk")),
    )

    assert slugs(found) == ["one"]


def test_each_queryset_is_compiled_once_however_often_the_condition_is_used(monkeypatch):
    calls = []
    compile_once = key_conditions.compiled_sql
    monkeypatch.setattr(
        key_conditions, "compiled_sql", lambda *args: calls.append(1) or compile_once(*args)
    )
    ActorFactory(slug="navy", name="Navy")
    listed = Actor.objects.filter(AnyOf("pk", Actor.objects.filter(name="Navy").values("pk")))

    # Evaluated, counted, cloned with another condition, and embedded in another query.
    results = (
        slugs(listed),
        listed.count(),
        slugs(listed.filter(slug__startswith="n")),
        slugs(Actor.objects.filter(AnyOf("pk", listed.values("pk")))),
    )

    assert (results, len(calls)) == ((["navy"], 1, ["navy"], ["navy"]), 2)


def test_a_queryset_referring_to_the_outer_query_is_refused():
    # Its SQL stands alone: a reference to the outer row could not be embedded.
    inner = Statement.objects.filter(speaker=OuterRef("speaker")).values("pk")

    with pytest.raises(ValueError, match="reference to an outer query"):
        list(Statement.objects.filter(AnyOf("pk", inner)))


def test_a_pickled_condition_is_compiled_afresh_where_it_is_loaded():
    ActorFactory(slug="navy", name="Navy")
    listed = Actor.objects.filter(AnyOf("pk", Actor.objects.filter(name="Navy").values("pk")))
    slugs(listed)  # compiled for this database

    loaded = pickle.loads(pickle.dumps(listed.query))
    condition = next(node.lhs for node in loaded.where.children if isinstance(node.lhs, AnyOf))
    compiled_when_loaded = dict(condition.compiled)
    again = Actor.objects.all()
    again.query = loaded

    assert (compiled_when_loaded, slugs(again)) == ({}, ["navy"])
