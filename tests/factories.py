"""factory_boy factories: one valid record of each kind, overridable per test."""

from __future__ import annotations

import datetime as dt

import factory

from tracker import models
from tracker.dates import Precision


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Actor
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"actor-{n}")
    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = models.ActorKind.STATE


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source title {n}")
    kind = models.SourceKind.NEWS
    published = dt.date(2019, 10, 3)
    published_precision = Precision.DAY


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agreement

    slug = factory.Sequence(lambda n: f"agreement-{n}")
    title = factory.Sequence(lambda n: f"Agreement {n}")
    kind = models.AgreementKind.AGREEMENT
    status = models.AgreementStatus.SIGNED
    concluded = dt.date(2001, 7, 16)
    concluded_precision = Precision.DAY


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Exercise

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    domain = models.ExerciseDomain.LAND
    start_date = dt.date(2019, 9, 1)
    start_date_precision = Precision.MONTH


class ArmsDealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ArmsDeal

    slug = factory.Sequence(lambda n: f"deal-{n}")
    title = factory.Sequence(lambda n: f"Deal {n}")
    supplier = factory.SubFactory(ActorFactory)
    recipient = factory.SubFactory(ActorFactory)
    category = models.ArmsCategory.AIRCRAFT


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Statement

    slug = factory.Sequence(lambda n: f"statement-{n}")
    speaker = factory.SubFactory(ActorFactory, kind=models.ActorKind.PERSON)
    kind = models.StatementKind.DIRECT_QUOTE
    text = "We are allies."


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    footnote = 1
