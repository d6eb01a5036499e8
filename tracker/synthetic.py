"""Synthetic, linked records for measuring the tracker at scale.

``generate(scale, seed)`` writes ``scale`` statements and, in proportion to
them, the actors, sources, agreements, exercises, arms deals, link rows and
citations a monitoring team would have gathered alongside (see ``RATIOS``).
Every record is valid (model ``clean`` and database constraints), every link
points at a record created here, and the same seed gives the same records:
all choices come from one ``random.Random(seed)``, and only the timestamps
differ between runs.

Rows are written with ``bulk_create`` in batches, and the big tables
(statements and their links) are generated batch by batch, so memory stays
flat whatever the scale (on PostgreSQL with the plain indexes rebuilt after the
load: :mod:`tracker.synthetic_load`). Synthetic identifiers start with ``syn-`` so they
never collide with real records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from . import changes, chart_counts, models, registry, synthetic_rows
from .dates import Precision, normalise
from .synthetic_load import analyse, indexes_deferred

#: Rows per INSERT; large enough to amortise round trips, small enough for SQLite's limits.
BATCH = 2000

#: Records of each kind per statement, and the fewest of each so that a small
#: scale still has enough to link (declared with each type in tracker.registry).
#: The article has more actors and sources than statements; a monitoring team's
#: database grows mostly in statements and citations, with hundreds of
#: thousands of exercises and deals at a million statements.
RATIOS = {
    rt.key: rt.synthetic_ratio for rt in registry.RECORD_TYPES if rt is not registry.STATEMENT
}
MINIMUM = {rt.key: rt.synthetic_minimum for rt in registry.RECORD_TYPES}

_WORD_TEXT = (
    "joint strategic partnership military cooperation exercise naval air defence missile "
    "command staff patrol bomber frigate destroyer submarine brigade regiment border security "
    "counter-terrorism interoperability logistics training readiness deterrence alliance "
    "technology transfer contract delivery engines radar satellite navigation early warning "
    "sanctions pressure dialogue roadmap ministry general staff commander minister president "
    "visit summit declaration agreement treaty cooperation Pacific Arctic Baltic Mediterranean "
    "Central Asia Far East Siberia Xinjiang Vladivostok Shanghai Beijing Moscow coordination "
    "drills live-fire amphibious landing reconnaissance electronic warfare cyber space "
    "exports imports licensed production components spare parts maintenance modernisation"
)
WORDS = tuple(_WORD_TEXT.split())
#: Rare words, each in a small share of the texts, so that searches have selective terms.
RARE_WORDS = ("Zhurong", "Kuznetsova", "Tianlong", "Orlovsky", "Baikonur", "Yinhe")
SERIES = (
    "Peace Mission",
    "Vostok",
    "Tsentr",
    "Kavkaz",
    "Joint Sea",
    "Mosi",
    "Northern Interaction",
)
REGIONS = ("Central Asia", "Far East", "Arctic", "Pacific", "Mediterranean", "Baltic", "Siberia")
OUTLETS = ("TASS", "Xinhua", "RIA Novosti", "SCMP", "Kommersant", "Global Times", "SIPRI")
OCCASIONS = ("press conference", "interview", "speech", "briefing", "op-ed", "communique")
ROLES = ("defence minister", "chief of general staff", "spokesperson", "ambassador", "analyst")
LANGUAGES = ("en", "ru", "zh")
COUNTRIES = ("CN", "RU", "KZ", "KG", "TJ", "IN", "PK", "BY", "IR", "MN", "US", "")
ITEMS = ("Su-35 fighters", "S-400 systems", "AL-31F engines", "Kilo-class submarines", "radars")
CURRENCIES = ("USD", "RUB", "CNY")


@dataclass
class Counts:
    """How many rows of each table ``generate`` wrote."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, number: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + number


def planned(scale: int) -> dict[str, int]:
    """Records of each kind for ``scale`` statements."""
    counts = {kind: max(MINIMUM[kind], round(scale * ratio)) for kind, ratio in RATIOS.items()}
    counts["statement"] = scale
    return counts


class Generator:
    """One generation run: the random source, the ids created so far, the counts."""

    def __init__(self, scale: int, seed: int, progress: Callable[[str], None] | None = None):
        self.scale = scale
        self.rng = random.Random(seed)
        # Reported values and status updates draw from their own sequence, so adding
        # them left every other generated row as it was (and the measured figures valid).
        self.rows_rng = random.Random(f"{seed}-rows")
        self.progress = progress or (lambda message: None)
        self.plan = planned(scale)
        self.counts = Counts()
        self.ids: dict[str, list[int]] = {}

    # -- small helpers ---------------------------------------------------------
    def text(self, low: int, high: int) -> str:
        rng = self.rng
        words = rng.choices(WORDS, k=rng.randint(low, high))
        if rng.random() < 0.02:
            words.insert(rng.randrange(len(words) + 1), rng.choice(RARE_WORDS))
        return " ".join(words).capitalize() + "."

    def fuzzy(self, start_year: int = 1990, end_year: int = 2025) -> tuple[dt.date, int]:
        """A date at a random precision, stored as the first day of its period."""
        rng = self.rng
        day = dt.date(start_year, 1, 1) + dt.timedelta(
            days=rng.randrange((dt.date(end_year, 12, 31) - dt.date(start_year, 1, 1)).days)
        )
        precision = rng.choices(
            (Precision.DAY, Precision.MONTH, Precision.YEAR), weights=(6, 3, 1)
        )[0]
        return normalise(day, precision), int(precision)

    def pick(self, kind: str) -> int:
        return self.rng.choice(self.ids[kind])

    def sample(self, kind: str, low: int, high: int) -> list[int]:
        pool = self.ids[kind]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(low, high)))

    def write(self, model, rows: list, name: str | None = None) -> list:
        """Insert ``rows`` in batches and count them; returns the saved objects."""
        saved = []
        if issubclass(model, models.TrackedModel):
            # Synthetic data stands for the public record: published, and marked
            # undated where it has no date (the publishing rule, docs/workflow.md).
            for row in rows:
                row.publication_status = models.PublicationStatus.PUBLISHED
                if model.publication_dates and all(
                    getattr(row, field) is None for field in model.publication_dates
                ):
                    row.date_unknown = True
        for start in range(0, len(rows), BATCH):
            batch = model.objects.bulk_create(rows[start : start + BATCH])
            if issubclass(model, models.TrackedModel):
                # bulk_create sends no signals: the sync feed must still list these.
                changes.log(model, (obj.slug for obj in batch))
            saved.extend(batch)
            # With DEBUG on, Django keeps the last 9,000 queries' SQL; a batch's
            # INSERT is about a megabyte, so a million statements held 1.1 GB.
            connection.queries_log.clear()
        self.counts.add(name or model._meta.model_name, len(rows))
        return saved

    def write_ids(self, model, rows: list) -> list[int]:
        """Insert ``rows`` like :meth:`write`; return only their ids."""
        ids = [obj.pk for obj in self.write(model, rows)]
        if any(pk is None for pk in ids):  # bulk_create returns ids on PostgreSQL and SQLite 3.35+
            raise RuntimeError("The database did not return the ids of inserted rows.")
        return ids

    def remember(self, kind: str, objects: list) -> None:
        ids = [obj.pk for obj in objects]
        if any(pk is None for pk in ids):  # bulk_create returns ids on PostgreSQL and SQLite 3.35+
            raise RuntimeError("The database did not return the ids of inserted rows.")
        self.ids[kind] = ids

    def citations(self, target: str, target_ids: list[int], low: int, high: int) -> list:
        """Citations for ``target_ids``: ``low`` to ``high`` distinct sources each."""
        rows = []
        for target_id in target_ids:
            for source_id in self.sample("source", low, high):
                rows.append(
                    models.Citation(
                        source_id=source_id,
                        footnote=self.rng.randint(1, 60) if self.rng.random() < 0.7 else None,
                        locator=f"p. {self.rng.randint(1, 300)}",
                        **{f"{target}_id": target_id},
                    )
                )
        return rows

    def batches(self, kind: str) -> Iterator[range]:
        total = self.plan[kind]
        for start in range(0, total, BATCH):
            yield range(start, min(total, start + BATCH))

    # -- record kinds ----------------------------------------------------------
    def actors(self) -> None:
        rng = self.rng
        rows = []
        kinds = list(models.ActorKind.values)
        for n in range(self.plan["actor"]):
            kind = rng.choice(kinds)
            rows.append(
                models.Actor(
                    slug=f"syn-actor-{n}",
                    name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}",
                    kind=kind,
                    country=rng.choice(COUNTRIES),
                    role=rng.choice(ROLES) if kind == models.ActorKind.PERSON else "",
                    aliases=[f"Alias {n}"] if rng.random() < 0.2 else [],
                    description=self.text(5, 15),
                )
            )
        self.remember("actor", self.write(models.Actor, rows))
        # Some actors sit inside others (forces inside states); parents come first,
        # so the hierarchy has no cycles.
        children = []
        for index in range(1, len(self.ids["actor"])):
            if rng.random() < 0.3:
                child = models.Actor(pk=self.ids["actor"][index])
                child.parent_id = self.ids["actor"][rng.randrange(index)]
                children.append(child)
        for start in range(0, len(children), BATCH):
            models.Actor.objects.bulk_update(children[start : start + BATCH], ["parent"])

    def sources(self) -> None:
        rng = self.rng
        kinds = list(models.SourceKind.values)
        ids: list[int] = []
        # Batch by batch, like the tables below: 100,000 Source objects at once were
        # most of the command's peak memory at a million statements.
        for batch in self.batches("source"):
            rows = []
            for n in batch:
                published, precision = self.fuzzy()
                rows.append(
                    models.Source(
                        slug=f"syn-source-{n}",
                        title=self.text(4, 10),
                        authors=f"{rng.choice(WORDS).title()}, A." if rng.random() < 0.6 else "",
                        outlet=rng.choice(OUTLETS),
                        published=published,
                        published_precision=precision,
                        url=f"https://example.org/{n}" if rng.random() < 0.8 else "",
                        language=rng.choice(LANGUAGES),
                        kind=rng.choice(kinds),
                    )
                )
            ids += self.write_ids(models.Source, rows)
        self.ids["source"] = ids

    def agreements(self) -> None:
        rng = self.rng
        ids: list[int] = []
        for batch in self.batches("agreement"):
            rows = []
            for n in batch:
                concluded, precision = self.fuzzy()
                rows.append(
                    models.Agreement(
                        slug=f"syn-agreement-{n}",
                        title=f"Agreement on {self.text(3, 6).rstrip('.').lower()} {n}",
                        kind=rng.choice(models.AgreementKind.values),
                        status=rng.choice(models.AgreementStatus.values),
                        concluded=concluded,
                        concluded_precision=precision,
                        summary=self.text(10, 30),
                    )
                )
            ids += self.write_ids(models.Agreement, rows)
            # Status histories draw from their own random sequence (synthetic_rows),
            # so writing them batch by batch leaves every other draw as it was.
            self.write(
                models.StatusUpdate,
                synthetic_rows.status_updates(self, "agreement", rows, "concluded"),
            )
        self.ids["agreement"] = ids
        # Parties, then citations, in the same order of random draws as before batching.
        for start in range(0, len(ids), BATCH):
            parties = [
                models.AgreementParty(
                    agreement_id=agreement_id,
                    actor_id=actor_id,
                    role=rng.choice(models.PartyRole.values),
                )
                for agreement_id in ids[start : start + BATCH]
                for actor_id in self.sample("actor", 2, 3)
            ]
            self.write(models.AgreementParty, parties)
        for start in range(0, len(ids), BATCH):
            self.write(
                models.Citation, self.citations("agreement", ids[start : start + BATCH], 1, 2)
            )

    def exercises(self) -> None:
        rng = self.rng
        for batch in self.batches("exercise"):
            rows = []
            for n in batch:
                start, precision = self.fuzzy()
                end = start + dt.timedelta(days=rng.randint(0, 20)) if rng.random() < 0.5 else None
                rows.append(
                    models.Exercise(
                        slug=f"syn-exercise-{n}",
                        name=f"{rng.choice(SERIES)} {start.year} {n}",
                        series=rng.choice(SERIES),
                        domain=rng.choice(models.ExerciseDomain.values),
                        start_date=start,
                        start_date_precision=precision,
                        # An end date only with a day-precise start, to keep the order valid.
                        end_date=end if precision == Precision.DAY else None,
                        end_date_precision=Precision.DAY
                        if end and precision == Precision.DAY
                        else None,
                        location=rng.choice(REGIONS),
                        region=rng.choice(REGIONS),
                        summary=self.text(10, 30),
                    )
                )
            saved = self.write(models.Exercise, rows)
            ids = [obj.pk for obj in saved]
            self.ids.setdefault("exercise", []).extend(ids)
            participants = [
                models.ExerciseParticipant(
                    exercise_id=exercise_id,
                    actor_id=actor_id,
                    role=rng.choice(models.ParticipantRole.values),
                    contribution=rng.choice(ITEMS) if rng.random() < 0.3 else "",
                )
                for exercise_id in ids
                for actor_id in self.sample("actor", 2, 4)
            ]
            self.write(models.ExerciseParticipant, participants)
            self.write(models.Citation, self.citations("exercise", ids, 1, 2))
            self.write(
                models.ReportedValue,
                synthetic_rows.disputed_dates(self, "exercise", "start_date", saved),
            )

    def arms_deals(self) -> None:
        rng = self.rng
        for batch in self.batches("arms_deal"):
            rows = []
            for n in batch:
                supplier, recipient = self.rng.sample(self.ids["actor"], 2)
                contract_date, precision = self.fuzzy()
                valued = rng.random() < 0.6
                rows.append(
                    models.ArmsDeal(
                        slug=f"syn-deal-{n}",
                        title=f"{rng.choice(ITEMS)} deal {n}",
                        supplier_id=supplier,
                        recipient_id=recipient,
                        item=rng.choice(ITEMS),
                        category=rng.choice(models.ArmsCategory.values),
                        scope=models.DealScope.CONTRACT,
                        quantity=rng.randint(1, 100) if rng.random() < 0.5 else None,
                        value_amount=rng.randint(1, 5000) * 1_000_000 if valued else None,
                        value_currency=rng.choice(CURRENCIES) if valued else "",
                        value_text="" if valued else "undisclosed",
                        contract_date=contract_date,
                        contract_date_precision=precision,
                        status=rng.choice(models.DealStatus.values),
                        summary=self.text(10, 25),
                    )
                )
            saved = self.write(models.ArmsDeal, rows)
            ids = [obj.pk for obj in saved]
            self.ids.setdefault("arms_deal", []).extend(ids)
            contractors = [
                models.ArmsDealContractor(
                    deal_id=deal_id, actor_id=actor_id, role=models.ContractorRole.PRIME
                )
                for deal_id in ids
                for actor_id in self.sample("actor", 0, 1)
            ]
            self.write(models.ArmsDealContractor, contractors)
            self.write(models.Citation, self.citations("arms_deal", ids, 1, 1))
            self.write(models.ReportedValue, synthetic_rows.disputed_values(self, saved))
            self.write(
                models.StatusUpdate,
                synthetic_rows.status_updates(self, "arms_deal", saved, "contract_date"),
            )

    def statements(self) -> None:
        rng = self.rng
        through = {
            name: getattr(models.Statement, name).through for name in registry.about_relations()
        }
        kinds = list(models.StatementKind.values)
        for batch in self.batches("statement"):
            rows = []
            for n in batch:
                date, precision = self.fuzzy(2000)
                rows.append(
                    models.Statement(
                        slug=f"syn-statement-{n}",
                        speaker_id=self.pick("actor") if rng.random() < 0.95 else None,
                        speaker_role=rng.choice(ROLES),
                        date=date,
                        date_precision=precision,
                        occasion=rng.choice(OCCASIONS),
                        kind=rng.choice(kinds),
                        text=self.text(12, 40),
                        language=rng.choice(LANGUAGES),
                    )
                )
            ids = [obj.pk for obj in self.write(models.Statement, rows)]
            links: dict[str, list] = {name: [] for name in through}
            for statement_id in ids:
                for actor_id in self.sample("actor", 0, 2):
                    links["about_actors"].append((statement_id, "actor_id", actor_id))
                if rng.random() < 0.3:
                    links["about_exercises"].append(
                        (statement_id, "exercise_id", self.pick("exercise"))
                    )
                if rng.random() < 0.2:
                    links["about_arms_deals"].append(
                        (statement_id, "armsdeal_id", self.pick("arms_deal"))
                    )
                if rng.random() < 0.1:
                    links["about_agreements"].append(
                        (statement_id, "agreement_id", self.pick("agreement"))
                    )
            for name, pairs in links.items():
                model = through[name]
                self.write(
                    model,
                    [model(statement_id=s, **{column: t}) for s, column, t in pairs],
                    name=f"statement_{name}",
                )
            self.write(models.Citation, self.citations("statement", ids, 1, 2))
            self.progress(f"statements: {batch.stop:,} of {self.plan['statement']:,}")

    def run(self) -> Counts:
        """Write everything in one transaction: a failure leaves nothing behind."""
        with transaction.atomic(), indexes_deferred(self.progress):
            for step in (
                self.actors,
                self.sources,
                self.agreements,
                self.exercises,
                self.arms_deals,
                self.statements,
            ):
                step()
                self.progress(f"{step.__name__}: done")
            # Each batch's insert added a row per chart group it touched: one row
            # per group is what the charts should find.
            chart_counts.compact_all(connection.alias)
        analyse()
        return self.counts


def generate(scale: int, seed: int = 1, progress: Callable[[str], None] | None = None) -> Counts:
    """Write ``scale`` statements and their proportionate, linked records; return row counts."""
    if scale < 1:
        raise ValueError("The scale is a number of statements, at least 1.")
    return Generator(scale, seed, progress).run()
