"""factory_boy factories: one valid record of each kind, overridable per test.

Agreements, exercises, arms deals and statements are created with one
citation (every fact cites its source, and the write path refuses a record
without one); pass ``cited=None`` to create one without it, e.g. to add
citations of your own.

Records are created ``published`` (as the seed is), so that what a test
reads is what anonymous readers see; ``draft=True`` (or
``publication_status="in_review"``) makes one the public must not see.
Records created without a date (``start_date=None``, deals and statements
by default) are marked ``date_unknown``, as publishing requires.
"""

from __future__ import annotations

import datetime as dt

import factory

from tracker import models
from tracker.dates import Precision

PUBLISHED = models.PublicationStatus.PUBLISHED
DRAFT = models.PublicationStatus.DRAFT


class Params:
    """``draft=True``: the record is a draft (every record factory takes it)."""

    draft = factory.Trait(publication_status=DRAFT)


def undated(*fields: str):
    """``date_unknown`` when none of ``fields`` is given (publishing needs one or the other)."""
    return factory.LazyAttribute(lambda o: all(getattr(o, f, None) is None for f in fields))


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Actor
        django_get_or_create = ("slug",)

    Params = Params
    publication_status = PUBLISHED

    slug = factory.Sequence(lambda n: f"actor-{n}")
    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = models.ActorKind.STATE


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    Params = Params
    publication_status = PUBLISHED

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source title {n}")
    kind = models.SourceKind.NEWS
    published = dt.date(2019, 10, 3)
    published_precision = Precision.DAY


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agreement
        # The citation is created after the record and changes nothing on it.
        skip_postgeneration_save = True

    Params = Params
    publication_status = PUBLISHED

    slug = factory.Sequence(lambda n: f"agreement-{n}")
    title = factory.Sequence(lambda n: f"Agreement {n}")
    kind = models.AgreementKind.AGREEMENT
    status = models.AgreementStatus.SIGNED
    concluded = dt.date(2001, 7, 16)
    concluded_precision = Precision.DAY
    date_unknown = undated("concluded", "in_force")
    cited = factory.RelatedFactory(
        "tests.factories.CitationFactory", factory_related_name="agreement"
    )


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Exercise
        # The citation is created after the record and changes nothing on it.
        skip_postgeneration_save = True

    Params = Params
    publication_status = PUBLISHED

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    domain = models.ExerciseDomain.LAND
    start_date = dt.date(2019, 9, 1)
    start_date_precision = Precision.MONTH
    date_unknown = undated("start_date")
    cited = factory.RelatedFactory(
        "tests.factories.CitationFactory", factory_related_name="exercise"
    )


class ArmsDealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ArmsDeal
        # The citation is created after the record and changes nothing on it.
        skip_postgeneration_save = True

    Params = Params
    publication_status = PUBLISHED
    contract_date = None
    period_start = None
    date_unknown = undated("contract_date", "period_start")

    slug = factory.Sequence(lambda n: f"deal-{n}")
    title = factory.Sequence(lambda n: f"Deal {n}")
    supplier = factory.SubFactory(ActorFactory)
    recipient = factory.SubFactory(ActorFactory)
    category = models.ArmsCategory.AIRCRAFT
    cited = factory.RelatedFactory(
        "tests.factories.CitationFactory", factory_related_name="arms_deal"
    )


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Statement
        # The citation is created after the record and changes nothing on it.
        skip_postgeneration_save = True

    Params = Params
    publication_status = PUBLISHED
    date = None
    date_unknown = undated("date")

    slug = factory.Sequence(lambda n: f"statement-{n}")
    speaker = factory.SubFactory(ActorFactory, kind=models.ActorKind.PERSON)
    kind = models.StatementKind.DIRECT_QUOTE
    text = "We are allies."
    cited = factory.RelatedFactory(
        "tests.factories.CitationFactory", factory_related_name="statement"
    )


#: The factory of each record model.
BY_MODEL = {
    models.Actor: ActorFactory,
    models.Source: SourceFactory,
    models.Agreement: AgreementFactory,
    models.Exercise: ExerciseFactory,
    models.ArmsDeal: ArmsDealFactory,
    models.Statement: StatementFactory,
}


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    footnote = 1


def save_cited(record, **kwargs):
    """``record_save`` with one citation, as every agreement, exercise, deal and statement needs."""
    from tracker.services import record_save

    source = SourceFactory(slug=f"cited-for-{record.slug}", title=f"Source on {record.slug}")
    return record_save(record, citations=[{"source": source}], **kwargs)
