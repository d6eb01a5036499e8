"""Records with every kind of link (participants, parties, citations), and small helpers."""

from __future__ import annotations

import datetime as dt

from tests.factories import (
    ActorFactory,
    AgreementFactory,
    ArmsDealFactory,
    CitationFactory,
    ExerciseFactory,
    SourceFactory,
    StatementFactory,
)
from tracker import models
from tracker.dates import Precision


def linked_exercise(slug: str, *actors: models.Actor, source=None, footnote=1, **fields):
    """An exercise with ``actors`` as participants and one citation."""
    exercise = ExerciseFactory(slug=slug, cited=None, **fields)
    for index, actor in enumerate(actors):
        models.ExerciseParticipant.objects.create(
            exercise=exercise,
            actor=actor,
            role=models.ParticipantRole.HOST if index == 0 else models.ParticipantRole.PARTICIPANT,
            contribution=f"contribution of {actor.name}",
        )
    CitationFactory(exercise=exercise, source=source or SourceFactory(), footnote=footnote)
    return exercise


def linked_agreement(slug: str, *actors: models.Actor, source=None, **fields):
    """An agreement with ``actors`` as parties and one citation."""
    agreement = AgreementFactory(slug=slug, cited=None, **fields)
    for actor in actors:
        models.AgreementParty.objects.create(agreement=agreement, actor=actor)
    CitationFactory(agreement=agreement, source=source or SourceFactory(), footnote=2)
    return agreement


def linked_deal(slug: str, supplier, recipient, *contractors, source=None, **fields):
    """An arms deal between two actors, with contractors and one citation."""
    deal = ArmsDealFactory(slug=slug, supplier=supplier, recipient=recipient, cited=None, **fields)
    for actor in contractors:
        models.ArmsDealContractor.objects.create(deal=deal, actor=actor)
    CitationFactory(arms_deal=deal, source=source or SourceFactory(), footnote=3)
    return deal


def linked_statement(slug: str, speaker, *, about_actors=(), about_exercises=(), **fields):
    """A statement by ``speaker`` about the given records, with one citation."""
    statement = StatementFactory(slug=slug, speaker=speaker, cited=None, **fields)
    statement.about_actors.set(about_actors)
    statement.about_exercises.set(about_exercises)
    CitationFactory(statement=statement, source=SourceFactory(), footnote=4)
    return statement


def linked_actor(slug: str, parent=None, **fields):
    """An actor (optionally inside ``parent``) with one citation."""
    actor = ActorFactory(slug=slug, parent=parent, **fields)
    CitationFactory(actor=actor, source=SourceFactory(), footnote=5)
    return actor


def day(text: str) -> dt.date:
    """``2019-09-01`` as a date."""
    return dt.date.fromisoformat(text)


MONTH, YEAR, DAY = Precision.MONTH, Precision.YEAR, Precision.DAY


def if_match(client, url: str) -> dict[str, str]:
    """The If-Match header an update of the record at ``url`` needs: its ETag, as read."""
    return {"HTTP_IF_MATCH": client.get(url)["ETag"]}


def slugs_page_by_page(client, query: str) -> list[list[str]]:
    """The statements list's slugs, two a page, following ``next`` to the end."""
    pages, url = [], f"/api/v1/statements/?page_size=2&{query}"
    while url:
        body = client.get(url).json()
        pages.append([row["slug"] for row in body["results"]])
        url = body["next"]
    return pages


def slugs(response) -> list[str]:
    """The slugs of a list response's rows, in order."""
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]
