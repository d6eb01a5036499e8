"""A condition's walked form, for the rows a page reads walking an index (tracker.walked)."""

from __future__ import annotations

import pytest
from django.db.models import OuterRef, Q

from tracker import key_conditions
from tracker.internals import and_conditions
from tracker.models import Citation, Statement
from tracker.walked import Walkable, walked_form, walks_up_to


@pytest.mark.parametrize(
    ("links", "threshold", "expected"),
    # Russia's statements at a million: 84,505 links over a threshold of 41,000.
    [(84_505, 41_000, 216), (41_000, 41_000, 51), (20_500, 41_000, 12), (5, 0, None)],
)
def test_a_walk_is_worth_rows_with_the_square_of_the_links_over_the_threshold(
    links, threshold, expected
):
    assert walks_up_to(links, threshold) == expected


def walkable_reaching(reach: int | None) -> Walkable:
    probe = key_conditions.ProbedPerRow(Citation.objects.filter(statement=OuterRef("pk")))
    probe.walks_up_to = reach
    return Walkable(Q(pk__in=Citation.objects.values("statement_id")), Q(probe) | Q(pk=0))


@pytest.mark.parametrize(
    ("reach", "top", "walked"), [(100, 100, True), (100, 101, False), (None, 10**6, True)]
)
def test_the_walked_form_is_taken_for_rows_up_to_its_reach(reach, top, walked):
    listed = Statement.objects.filter(walkable_reaching(reach))

    (condition,) = and_conditions(walked_form(listed, top))

    assert (condition.walks_up_to, condition.is_walked) == (reach, walked)


def test_a_walked_copy_is_not_equal_to_the_condition():
    condition = walkable_reaching(100)

    assert (condition == condition.as_walked(), condition == condition.copy()) == (False, True)
