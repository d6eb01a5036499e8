"""The link files of an export: citations, the actors linked to each record, and
what each statement concerns, one row per link.

Declared like the record files (:mod:`tracker.exports.files`, which lists every
file in the order written); the per-type facts they name (file stems, link
tables, Statement's ``about_*`` relations) come from :mod:`tracker.registry`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import models

from .. import registry
from ..models import (
    CITATION_TARGETS,
    Actor,
    Agreement,
    ArmsDeal,
    Citation,
    ContractorRole,
    Exercise,
    ParticipantRole,
    PartyRole,
    Source,
    Statement,
)
from .cells import INTEGER, STRING
from .columns import Column, ForeignKey, choice_columns, col, fk_name_column, fk_slug_column
from .links import Row, about_key, statement_about
from .tables import Table


def file_of(model: type[models.Model]) -> str:
    """The file stem of ``model``'s records (``ArmsDeal`` -> ``arms_deals``)."""
    return registry.for_model(model).csv_file


#: What statements concern, in the order of the statements file's ``about_*``
#: columns and of each statement's rows in statement_links.csv (a published layout).
ABOUT = tuple(registry.for_model(model) for model in (Agreement, Exercise, ArmsDeal, Actor))


def _citation_target_type(row: Row) -> str | None:
    for name in CITATION_TARGETS:
        if row[f"{name}_id"] is not None:
            return name
    return None


def _citation_target_slug(row: Row) -> str | None:
    name = _citation_target_type(row)
    return row[f"{name}__slug"] if name is not None else None


_CITATION_TARGET_IDS = tuple(f"{name}_id" for name in CITATION_TARGETS)
_CITATION_TARGET_SLUGS = tuple(f"{name}__slug" for name in CITATION_TARGETS)

CITATIONS = Table(
    name="citations",
    model=Citation,
    title="Citations",
    description="The evidence for each record: which source, where in it, which footnote. "
    "Exactly one of agreement, exercise, arms_deal, statement and actor is filled.",
    columns=(
        col("id", INTEGER, "Number of the citation within this snapshot.", required=True),
        fk_slug_column("source", "Slug of the cited source (in sources.csv)."),
        col(
            "record_type",
            STRING,
            "Which kind of record it supports.",
            _citation_target_type,
            reads=_CITATION_TARGET_IDS,
            enum=list(CITATION_TARGETS),
        ),
        col(
            "record",
            STRING,
            "Slug of the record it supports.",
            _citation_target_slug,
            reads=_CITATION_TARGET_IDS + _CITATION_TARGET_SLUGS,
        ),
        *(
            fk_slug_column(name, f"Slug of the {name.replace('_', ' ')} it supports, if any.")
            for name in CITATION_TARGETS
        ),
        col("footnote", INTEGER, "Footnote number in the citing article, if it came from one."),
        col("locator", STRING, "Page or section of the source."),
        col("excerpt", STRING, "The supporting passage."),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey(("source",), file_of(Source)),
        *(
            ForeignKey((name,), file_of(Citation._meta.get_field(name).related_model))
            for name in CITATION_TARGETS
        ),
    ),
)


def link_table(
    record_model: type[models.Model],
    roles: type[models.Choices],
    extra: Column,
    title: str,
    description: str,
) -> Table:
    """The file of the actors linked to a record, one row per link, with role and note.

    Its first column names the record by its type's name (``arms_deal``),
    whatever the link model calls its key (``deal``).
    """
    record = registry.for_model(record_model)
    links = record.links
    column = record.key
    return Table(
        name=links.csv_file,
        model=links.model,
        title=title,
        description=description,
        columns=(
            fk_slug_column(column, f"Slug of the record (in {record.csv_file}.csv).", links.fk),
            fk_slug_column("actor", "Slug of the actor (in actors.csv)."),
            fk_name_column("actor_name", "Name of the actor.", "actor"),
            *choice_columns("role", roles, "Role"),
            extra,
        ),
        primary_key=(column, "actor"),
        foreign_keys=(
            ForeignKey((column,), record.csv_file),
            ForeignKey(("actor",), file_of(Actor)),
        ),
    )


EXERCISE_PARTICIPANTS = link_table(
    Exercise,
    ParticipantRole,
    col("contribution", STRING, "What it brought, e.g. “Type 054A frigate Weifang”."),
    "Exercise participants",
    "Who took part in each exercise, in which role, with what.",
)
AGREEMENT_PARTIES = link_table(
    Agreement,
    PartyRole,
    col("note", STRING, "A note on the actor's part."),
    "Agreement parties",
    "Who is party to each agreement, and in which role.",
)
ARMS_DEAL_CONTRACTORS = link_table(
    ArmsDeal,
    ContractorRole,
    col("note", STRING, "A note on the contractor's part."),
    "Arms deal contractors",
    "Companies and agencies involved in each deal, and in which role.",
)


def _statement_links(row: Row) -> Iterator[Row]:
    # One row per thing a statement concerns: {statement, about_type, about}.
    statement = row["slug"]
    for about in ABOUT:
        for target in row[about_key(about.about)]:
            yield {"statement": statement, "about_type": about.key, "about": target}


def _about_if(about_type: str):
    return lambda link: link["about"] if link["about_type"] == about_type else None


STATEMENT_LINKS = Table(
    name="statement_links",
    model=Statement,
    title="Statement links",
    description="What each statement concerns, one row per link. Exactly one of "
    "agreement, exercise, arms_deal and actor is filled, the one named by about_type.",
    columns=(
        col(
            "statement",
            STRING,
            "Slug of the statement (in statements.csv).",
            lambda link: link["statement"],
            required=True,
        ),
        col(
            "about_type",
            STRING,
            "Kind of record it concerns.",
            lambda link: link["about_type"],
            required=True,
            enum=[about.key for about in ABOUT],
        ),
        col(
            "about",
            STRING,
            "Slug of the record it concerns.",
            lambda link: link["about"],
            required=True,
        ),
        *(
            col(
                about.key,
                STRING,
                f"Slug of the {about.key.replace('_', ' ')} it concerns.",
                _about_if(about.key),
            )
            for about in ABOUT
        ),
    ),
    primary_key=("statement", "about_type", "about"),
    foreign_keys=(
        ForeignKey(("statement",), file_of(Statement)),
        *(ForeignKey((about.key,), about.csv_file) for about in ABOUT),
    ),
    reads=("slug",),
    attach=tuple(statement_about(about.about) for about in ABOUT),
    expand=_statement_links,
)
