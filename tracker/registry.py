"""Which kinds of record the tracker keeps, and how they link: declared once, here.

Every consumer that treats all record types alike reads this module instead
of naming the types itself: the write path and the history (link tables,
citations, what a statement concerns), the roles, the API (resource names,
routes, search), the admin, the CSV exports and the synthetic data.
``tests/test_registry.py`` fails when a model of the app is missing here or
a consumer leaves a type out.

Adding a record type means: its model (``tracker/models/``), one
``RecordType`` below, and the consumers' classes that differ by type (its
serializer, filterset, viewset, admin class, CSV table), which the registry
test then demands.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models as dj

from . import models


@dataclass(frozen=True)
class LinkTable:
    """Rows that link a record to actors with a role (participants, parties, contractors)."""

    #: The link model, e.g. ``ExerciseParticipant``.
    model: type[dj.Model]
    #: Its rows as the record reaches them (``exercise.participations``).
    related_name: str
    #: The link model's foreign key to the record (``exercise``).
    fk: str
    #: The CSV file holding these rows, one row per link.
    csv_file: str


@dataclass(frozen=True)
class RecordRows:
    """Cited rows a record keeps beside its citations (reported values, status updates).

    Each row names its record by a Citation-style foreign key named after the
    record type's ``key`` (exactly one set), carries its own evidence (source,
    footnote, locator), is saved with its record by ``record_save`` (keyword
    ``related_name``), stored in the record's history, shown by the API under
    ``related_name`` and written to ``csv_file`` in the data package.
    """

    model: type[dj.Model]
    #: The record's rows (``deal.status_updates``): ``record_save`` keyword and API field.
    related_name: str
    #: The CSV file holding these rows.
    csv_file: str
    #: Keys of the record types that carry such rows (``arms_deal``).
    targets: tuple[str, ...]
    #: What an editor or client writes of a row, in order: the admin inline's fields
    #: and the API object's keys.
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RecordType:
    """One kind of public record, and every name it goes by."""

    #: Its name in code and data: Citation's foreign key, a CSV ``about_type`` (``arms_deal``).
    key: str
    model: type[models.TrackedModel]
    #: API resource name: URL segment (``/api/v1/arms-deals/``) and deletions feed.
    resource: str
    #: Name of its CSV file in the data package (``arms_deals.csv``).
    csv_file: str
    #: Text fields (and paths to linked names) a search looks in, API and admin alike.
    search_fields: tuple[str, ...]
    #: Fields other records show when they summarise one of these (a name, a title).
    summary_fields: tuple[str, ...]
    #: The field that names a record (a name, a title, a statement's text).
    title_field: str
    #: Dotted path of its admin class.
    admin: str
    #: Whether records of this type carry citations (Citation's foreign key is ``key``).
    cited: bool = True
    #: Whether every record of this type must cite a source (it states a fact).
    must_cite: bool = False
    #: JSON list of the record's other names (actors' aliases), ranked as its title is.
    aliases_field: str | None = None
    #: Statement's many-to-many saying a statement concerns one of these.
    about: str | None = None
    #: Its link rows to actors, if any.
    links: LinkTable | None = None
    #: Records of this type per statement in synthetic data (statements are the scale).
    synthetic_ratio: float = 1.0
    #: Fewest records of this type in synthetic data, so that small scales still link.
    synthetic_minimum: int = 1
    #: Where a record sits on the explorer's timeline: (start, end) fuzzy-date pairs, the
    #: first pair whose start is known places it (a deal's contract date, else its period).
    timeline_dates: tuple[tuple[str, str | None], ...] = ()

    @property
    def rows(self) -> tuple[RecordRows, ...]:
        """The kinds of cited rows records of this type keep (see :class:`RecordRows`)."""
        return tuple(rows for rows in RECORD_ROWS if self.key in rows.targets)

    @property
    def citation_fk(self) -> str | None:
        """Citation's foreign key to records of this type (``None`` if they carry none)."""
        return self.key if self.cited else None

    @property
    def name(self) -> str:
        """The record type's name (``arms_deal``-style names are ``armsdeal``: the model name)."""
        return self.model.record_type()

    @property
    def api_basename(self) -> str:
        """The API's URL names for one record (``api:arms-deal-detail``)."""
        return self.resource.removesuffix("s")

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


ACTOR = RecordType(
    key="actor",
    model=models.Actor,
    resource="actors",
    csv_file="actors",
    search_fields=("name", "aliases", "role", "description"),
    summary_fields=("name",),
    title_field="name",
    aliases_field="aliases",
    admin="tracker.admin.records.ActorAdmin",
    about="about_actors",
    synthetic_ratio=0.02,
    synthetic_minimum=30,
)
SOURCE = RecordType(
    key="source",
    model=models.Source,
    resource="sources",
    csv_file="sources",
    search_fields=("title", "authors", "outlet", "details"),
    summary_fields=("title", "url"),
    title_field="title",
    admin="tracker.admin.records.SourceAdmin",
    cited=False,
    synthetic_ratio=0.10,
    synthetic_minimum=10,
)
AGREEMENT = RecordType(
    key="agreement",
    model=models.Agreement,
    resource="agreements",
    csv_file="agreements",
    search_fields=("title", "summary"),
    summary_fields=("title",),
    title_field="title",
    must_cite=True,
    admin="tracker.admin.records.AgreementAdmin",
    about="about_agreements",
    timeline_dates=(("concluded", None),),
    links=LinkTable(models.AgreementParty, "party_links", "agreement", "agreement_parties"),
    synthetic_ratio=0.05,
    synthetic_minimum=2,
)
EXERCISE = RecordType(
    key="exercise",
    model=models.Exercise,
    resource="exercises",
    csv_file="exercises",
    search_fields=("name", "series", "location", "region", "summary"),
    summary_fields=("name",),
    title_field="name",
    must_cite=True,
    admin="tracker.admin.records.ExerciseAdmin",
    about="about_exercises",
    timeline_dates=(("start_date", "end_date"),),
    links=LinkTable(
        models.ExerciseParticipant, "participations", "exercise", "exercise_participants"
    ),
    synthetic_ratio=0.15,
    synthetic_minimum=3,
)
ARMS_DEAL = RecordType(
    key="arms_deal",
    model=models.ArmsDeal,
    resource="arms-deals",
    csv_file="arms_deals",
    search_fields=("title", "item", "value_text", "summary"),
    summary_fields=("title",),
    title_field="title",
    must_cite=True,
    admin="tracker.admin.records.ArmsDealAdmin",
    about="about_arms_deals",
    timeline_dates=(("contract_date", None), ("period_start", "period_end")),
    links=LinkTable(models.ArmsDealContractor, "contractor_links", "deal", "arms_deal_contractors"),
    synthetic_ratio=0.15,
    synthetic_minimum=3,
)
STATEMENT = RecordType(
    key="statement",
    model=models.Statement,
    resource="statements",
    csv_file="statements",
    # The names and titles of what a statement concerns find it too.
    search_fields=(
        "text",
        "occasion",
        "speaker_role",
        "speaker__name",
        "about_agreements__title",
        "about_exercises__name",
        "about_arms_deals__title",
        "about_actors__name",
    ),
    summary_fields=(),
    title_field="text",
    must_cite=True,
    admin="tracker.admin.records.StatementAdmin",
    timeline_dates=(("date", None),),
)

#: Every kind of public record, in the order consumers see them.
RECORD_TYPES: tuple[RecordType, ...] = (ACTOR, SOURCE, AGREEMENT, EXERCISE, ARMS_DEAL, STATEMENT)

#: Values sources report differently for a record's dates, money value and quantity.
REPORTED_VALUES = RecordRows(
    models.ReportedValue,
    "reported_values",
    "reported_values",
    models.CLAIM_TARGETS,
    fields=(
        "field",
        "date",
        "amount",
        "currency",
        "quantity",
        "value_text",
        "rank",
        "reason",
        "source",
        "footnote",
        "locator",
    ),
)
#: An agreement's or a deal's status as of a date.
STATUS_UPDATES = RecordRows(
    models.StatusUpdate,
    "status_updates",
    "status_updates",
    models.STATUS_TARGETS,
    fields=("status", "as_of", "note", "source", "footnote", "locator"),
)
#: Every kind of cited row records keep beside their citations.
RECORD_ROWS: tuple[RecordRows, ...] = (REPORTED_VALUES, STATUS_UPDATES)

#: The tables that only serve the records above (not records themselves); Citation last.
LINK_MODELS: tuple[type[dj.Model], ...] = (
    *(rt.links.model for rt in RECORD_TYPES if rt.links),
    *(rows.model for rows in RECORD_ROWS),
    models.Citation,
)

#: Kept by the tracker but not a record type: deletion tombstones, and the charts'
#: counts (written by triggers, see ``tracker.chart_counts``).
SUPPORT_MODELS: tuple[type[dj.Model], ...] = (models.DeletedRecord, models.ChartCount)

#: The change log: the API's change feed (``tracker.changes``) and the imports of files
#: (``tracker.imports``, listed on the admin's import page).
LOG_MODELS: tuple[type[dj.Model], ...] = (models.Change, models.Import)

_BY_MODEL = {rt.model: rt for rt in RECORD_TYPES}
_BY_NAME = {rt.name: rt for rt in RECORD_TYPES}
_BY_RESOURCE = {rt.resource: rt for rt in RECORD_TYPES}


def for_model(model: type[dj.Model]) -> RecordType:
    """The record type of ``model`` (``KeyError`` for a model that is not a record)."""
    return _BY_MODEL[model]


def for_name(name: str) -> RecordType:
    """The record type named ``name`` as ``DeletedRecord.record_type`` stores it."""
    return _BY_NAME[name]


def on_timeline() -> tuple[RecordType, ...]:
    """Record types on the explorer's timeline: events, not actors or the sources citing them."""
    return tuple(rt for rt in RECORD_TYPES if rt.timeline_dates)


def for_resource(resource: str) -> RecordType:
    """The record type behind an API resource name (``arms-deals``)."""
    return _BY_RESOURCE[resource]


def with_links() -> tuple[RecordType, ...]:
    """Record types that have link rows to actors."""
    return tuple(rt for rt in RECORD_TYPES if rt.links)


def cited() -> tuple[RecordType, ...]:
    """Record types that carry citations."""
    return tuple(rt for rt in RECORD_TYPES if rt.citation_fk)


def must_cite(model: type[dj.Model]) -> bool:
    """Whether every record of ``model`` must cite a source (``False`` for other models)."""
    record_type = _BY_MODEL.get(model)
    return record_type is not None and record_type.must_cite


def about_relations() -> tuple[str, ...]:
    """Statement's "what it concerns" many-to-many fields."""
    return tuple(rt.about for rt in RECORD_TYPES if rt.about)
