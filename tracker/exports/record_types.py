"""The record types as the exports know them: each one's file, name in links, and links.

This is the one place the export declarations take per-type facts from (the
file stem ``arms_deals``, the link table of actors and its key, Statement's
``about_*`` relation). ``tracker/registry.py`` is to declare these facts once
for the whole tracker; ``RECORD_TYPES`` below is then built from it, and the
declarations in :mod:`tracker.exports.files` are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from ..models import (
    Actor,
    Agreement,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    Exercise,
    ExerciseParticipant,
    Source,
    Statement,
)


@dataclass(frozen=True)
class ActorLinks:
    """A record type's table of linked actors (with their roles), written as its own file."""

    #: The link model (``ExerciseParticipant``).
    model: type[models.Model]
    #: Its foreign key to the record (``exercise``; ``deal`` for arms deals).
    owner_field: str
    #: Its file stem (``exercise_participants``).
    file: str


@dataclass(frozen=True)
class RecordType:
    """What the exports need to know of one kind of public record."""

    model: type[models.Model]
    #: The file stem of its records (``arms_deals``).
    file: str
    #: Its name in link files' columns (``arms_deal`` in statement_links.csv).
    name: str
    #: Its table of linked actors, if it has one.
    actor_links: ActorLinks | None = None
    #: Statement's many-to-many relation to it (``about_arms_deals``), if any.
    about: str | None = None


# --- The per-type facts (to be read from tracker/registry.py) ----------------------

#: Every record type, in the order of the export's files.
RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(Actor, "actors", "actor", about="about_actors"),
    RecordType(Source, "sources", "source"),
    RecordType(
        Agreement,
        "agreements",
        "agreement",
        ActorLinks(AgreementParty, "agreement", "agreement_parties"),
        about="about_agreements",
    ),
    RecordType(
        Exercise,
        "exercises",
        "exercise",
        ActorLinks(ExerciseParticipant, "exercise", "exercise_participants"),
        about="about_exercises",
    ),
    RecordType(
        ArmsDeal,
        "arms_deals",
        "arms_deal",
        ActorLinks(ArmsDealContractor, "deal", "arms_deal_contractors"),
        about="about_arms_deals",
    ),
    RecordType(Statement, "statements", "statement"),
)

# --- Look-ups -------------------------------------------------------------------------

_BY_MODEL = {record_type.model: record_type for record_type in RECORD_TYPES}


def record_type(model: type[models.Model]) -> RecordType:
    """The facts of ``model``'s record type (``KeyError`` for a model that is none)."""
    return _BY_MODEL[model]


def file_of(model: type[models.Model]) -> str:
    """The file stem of ``model``'s records (``ArmsDeal`` -> ``arms_deals``)."""
    return _BY_MODEL[model].file
