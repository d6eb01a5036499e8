"""The files of an export: each one's columns, keys and links, declared once.

The record files are declared here, the link files in
:mod:`tracker.exports.link_files`; :data:`TABLES` lists them all. The nightly
export files, the admin's "Export selected as CSV" action and the
API's ``?format=csv`` all take their columns and cells from here, so a column
means the same thing and a cell is written the same way wherever a user gets
it. Per-type facts (file stems, link tables, Statement's ``about_*``
relations) come from :mod:`tracker.registry`.
"""

from __future__ import annotations

from django.db import models
from django_countries import countries

from .. import registry
from ..models import (
    Actor,
    ActorKind,
    Agreement,
    AgreementKind,
    AgreementStatus,
    ArmsCategory,
    ArmsDeal,
    DealScope,
    DealStatus,
    Exercise,
    ExerciseDomain,
    Source,
    SourceKind,
    Statement,
    StatementKind,
)
from .cells import BOOLEAN, DATE, DELIMITER, INTEGER, NUMBER, STRING
from .columns import (
    ForeignKey,
    choice_columns,
    col,
    fk_name_column,
    fk_slug_column,
    fuzzy_columns,
    joined_column,
    lookup_column,
    record_tail_columns,
    slug_column,
)
from .link_files import (
    ABOUT,
    AGREEMENT_PARTIES,
    ARMS_DEAL_CONTRACTORS,
    CITATIONS,
    EXERCISE_PARTICIPANTS,
    STATEMENT_LINKS,
    file_of,
)
from .links import (
    LINKED_ACTORS,
    Attach,
    Row,
    about_key,
    cited_sources,
    linked_actors,
    statement_about,
)
from .rows import ROW_TABLES, disputed_column, disputed_flags
from .tables import Table

# --- Per-type facts: read from tracker.registry ------------------------------------
# Each record type's file stem (``csv_file``), its name in link columns (``key``),
# its table of linked actors (``links``) and Statement's relation to it (``about``)
# are declared once, in the registry; the declarations below take them from there
# (``file_of`` and ``ABOUT``: :mod:`tracker.exports.link_files`).


def _citations(model: type[models.Model]) -> Attach:
    return cited_sources(registry.for_model(model).citation_fk)


def _actor_links(model: type[models.Model]) -> Attach:
    links = registry.for_model(model).links
    return linked_actors(links.model, links.fk)


# --- The record files -------------------------------------------------------------

#: The records the sources do not date say so (publishing needs a date or this).
_DATE_UNKNOWN = col("date_unknown", BOOLEAN, "The sources give no date for it.")


def _country_code(row: Row) -> str | None:
    # As the model's Country object reads a stored code: alpha-2 where it is one.
    code = row["country"]
    return countries.alpha2(code) or code or None


def _country_name(row: Row) -> str | None:
    # The country's name in the active language, as ``actor.country.name``.
    code = _country_code(row)
    return str(countries.name(code)) if code else None


ACTORS = Table(
    name=file_of(Actor),
    model=Actor,
    title="Actors",
    description="States, armed forces, government bodies, organisations, companies, "
    "think tanks, media outlets and persons.",
    columns=(
        slug_column(),
        col("name", STRING, "Name of the actor.", required=True),
        *choice_columns("kind", ActorKind, "Kind of actor"),
        lookup_column(
            "country",
            STRING,
            "ISO 3166-1 alpha-2 code of its country, where one applies.",
            _country_code,
            "country",
        ),
        lookup_column("country_name", STRING, "Name of its country.", _country_name, "country"),
        fk_slug_column("parent", "Slug of the actor this one belongs to (in actors.csv)."),
        fk_name_column("parent_name", "Name of the actor this one belongs to.", "parent"),
        col("role", STRING, "For persons: their role at the time of the recorded facts."),
        col("aliases", STRING, f"Other names and spellings, joined with “{DELIMITER}”."),
        col("description", STRING, "A short description."),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("parent",), ""),),
    attach=(_citations(Actor),),
    is_record_file=True,
)

SOURCES = Table(
    name=file_of(Source),
    model=Source,
    title="Sources",
    description="The works cited as evidence for the records.",
    columns=(
        slug_column(),
        col("title", STRING, "Title, as the citation gives it.", required=True),
        col("authors", STRING, "Authors, as written in the citation."),
        col("outlet", STRING, "Publisher, journal, newspaper or website."),
        col("details", STRING, "Series, issue, report number, DOI or other detail."),
        *fuzzy_columns("published", "When it was published"),
        col("url", STRING, "Where it can be read."),
        col("accessed", DATE, "When the URL was last read."),
        col("language", STRING, "ISO 639-1 code of the work's language."),
        *choice_columns("kind", SourceKind, "Kind of source"),
        *record_tail_columns(with_citations=False),
    ),
    primary_key=("slug",),
    is_record_file=True,
)

AGREEMENTS = Table(
    name=file_of(Agreement),
    model=Agreement,
    title="Agreements",
    description="Treaties, agreements, roadmaps, decrees and contracts.",
    columns=(
        slug_column(),
        col("title", STRING, "Title of the agreement.", required=True),
        *choice_columns("kind", AgreementKind, "Kind of agreement"),
        *choice_columns("status", AgreementStatus, "Status"),
        *fuzzy_columns("concluded", "When it was signed or issued"),
        *fuzzy_columns("in_force", "When it entered into force"),
        *fuzzy_columns("expires", "When it expires or expired"),
        _DATE_UNKNOWN,
        fk_slug_column("replaces", "Slug of the earlier agreement this one replaces."),
        joined_column(
            "parties",
            "Slugs of the actors party to it (roles in agreement_parties.csv).",
            LINKED_ACTORS,
        ),
        col("summary", STRING, "What it provides."),
        disputed_column(Agreement),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("replaces",), ""),),
    attach=(_actor_links(Agreement), _citations(Agreement), disputed_flags(Agreement)),
    is_record_file=True,
)

EXERCISES = Table(
    name=file_of(Exercise),
    model=Exercise,
    title="Exercises",
    description="Joint military exercises and patrols.",
    columns=(
        slug_column(),
        col("name", STRING, "Name of the exercise.", required=True),
        col("series", STRING, "The recurring series it belongs to."),
        *choice_columns("domain", ExerciseDomain, "Domain"),
        *fuzzy_columns("start_date", "When it started"),
        *fuzzy_columns("end_date", "When it ended"),
        _DATE_UNKNOWN,
        col("location", STRING, "Where it was held, as the source says."),
        col("region", STRING, "Broad region."),
        joined_column(
            "participants",
            "Slugs of the actors that took part (roles in exercise_participants.csv).",
            LINKED_ACTORS,
        ),
        col("summary", STRING, "What happened."),
        disputed_column(Exercise),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    attach=(_actor_links(Exercise), _citations(Exercise), disputed_flags(Exercise)),
    is_record_file=True,
)

ARMS_DEALS = Table(
    name=file_of(ArmsDeal),
    model=ArmsDeal,
    title="Arms deals",
    description="Arms transfers: single contracts and trade figures aggregated over a period.",
    columns=(
        slug_column(),
        col("title", STRING, "Title of the deal.", required=True),
        fk_slug_column("supplier", "Slug of the supplying actor."),
        fk_name_column("supplier_name", "Name of the supplying actor.", "supplier"),
        fk_slug_column("recipient", "Slug of the receiving actor."),
        fk_name_column("recipient_name", "Name of the receiving actor.", "recipient"),
        col("item", STRING, "The system or goods."),
        *choice_columns("category", ArmsCategory, "Category"),
        *choice_columns("scope", DealScope, "Scope"),
        col("quantity", INTEGER, "Units, if known."),
        col("quantity_is_estimate", BOOLEAN, "The quantity is an estimate."),
        col("value_amount", NUMBER, "The value in the currency's units (2000000000.00)."),
        col("value_currency", STRING, "ISO 4217 code of the value's currency."),
        col("value_is_estimate", BOOLEAN, "The source gives the value as an estimate."),
        col("value_text", STRING, "The value as the source words it."),
        col("percentage", NUMBER, "A share, in per cent."),
        col("percentage_of", STRING, "What the percentage is a share of."),
        *fuzzy_columns("contract_date", "When the contract was signed"),
        *fuzzy_columns("period_start", "Start of the period covered"),
        *fuzzy_columns("period_end", "End of the period covered"),
        _DATE_UNKNOWN,
        *choice_columns("status", DealStatus, "Status"),
        joined_column(
            "contractors",
            "Slugs of the companies or agencies involved (roles in arms_deal_contractors.csv).",
            LINKED_ACTORS,
        ),
        col("summary", STRING, "What was traded."),
        disputed_column(ArmsDeal),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(
        ForeignKey(("supplier",), file_of(Actor)),
        ForeignKey(("recipient",), file_of(Actor)),
    ),
    attach=(_actor_links(ArmsDeal), _citations(ArmsDeal), disputed_flags(ArmsDeal)),
    is_record_file=True,
)

STATEMENTS = Table(
    name=file_of(Statement),
    model=Statement,
    title="Statements",
    description="What actors said or wrote about the cooperation.",
    columns=(
        slug_column(),
        fk_slug_column(
            "speaker", "Slug of the actor who said it. Empty if the source does not say."
        ),
        fk_name_column("speaker_name", "Name of the actor who said it.", "speaker"),
        col("speaker_role", STRING, "The speaker's role at the time."),
        *fuzzy_columns("date", "When it was said"),
        _DATE_UNKNOWN,
        col("occasion", STRING, "Where or how it was said."),
        *choice_columns("kind", StatementKind, "Kind of statement"),
        col(
            "text",
            STRING,
            "A direct quote exactly as the source gives it, or a paraphrase.",
            required=True,
        ),
        col("language", STRING, "ISO 639-1 code of the text's language."),
        *(
            joined_column(
                about.about,
                f"Slugs of the {about.csv_file.replace('_', ' ')} it concerns.",
                about_key(about.about),
            )
            for about in ABOUT
        ),
        disputed_column(Statement),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("speaker",), file_of(Actor)),),
    attach=(
        *(statement_about(about.about) for about in ABOUT),
        _citations(Statement),
        disputed_flags(Statement),
    ),
    is_record_file=True,
)

# --- Every file -------------------------------------------------------------------

#: Every file of an export, keyed by file stem, in the order they are written:
#: the six record files, then the link files that refer to them.
TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        ACTORS,
        SOURCES,
        AGREEMENTS,
        EXERCISES,
        ARMS_DEALS,
        STATEMENTS,
        CITATIONS,
        *ROW_TABLES,
        EXERCISE_PARTICIPANTS,
        AGREEMENT_PARTIES,
        ARMS_DEAL_CONTRACTORS,
        STATEMENT_LINKS,
    )
}

#: The main table of each model with one (statement links are read from
#: statements but are not their main table).
_MODEL_TABLES: dict[type[models.Model], Table] = {
    table.model: table for table in TABLES.values() if table.expand is None
}


def table_for_model(model: type[models.Model]) -> Table:
    """The table whose rows are ``model``'s rows (``Exercise`` -> ``exercises``).

    Raises ``LookupError`` for a model that has no CSV table.
    """
    try:
        return _MODEL_TABLES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} rows have no CSV table.") from None


def record_tables() -> list[Table]:
    """The six files of public records, in file order."""
    return [table for table in TABLES.values() if table.is_record_file]
