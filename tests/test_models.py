"""Model rules, enforced in clean() for forms and by the database for everything else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests.factories import (
    ActorFactory,
    AgreementFactory,
    ArmsDealFactory,
    CitationFactory,
    ExerciseFactory,
    SourceFactory,
    StatementFactory,
)
from tracker import services
from tracker.dates import Precision
from tracker.models import Actor, Citation, DeletedRecord, Exercise, ExerciseParticipant

pytestmark = pytest.mark.django_db


def test_a_month_date_must_be_stored_as_the_first_of_the_month():
    exercise = ExerciseFactory.build(start_date=dt.date(2019, 9, 16), start_date_precision=10)
    with pytest.raises(ValidationError) as caught:
        exercise.full_clean()
    assert "start_date" in caught.value.message_dict


def test_the_database_refuses_a_date_without_precision():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseFactory(start_date=dt.date(2019, 9, 1), start_date_precision=None)


def test_the_database_refuses_a_qualifier_without_a_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseFactory(start_date=None, start_date_precision=None, start_date_qualifier="end")


def test_end_before_start_fails_validation():
    exercise = ExerciseFactory.build(
        start_date=dt.date(2019, 9, 16),
        start_date_precision=Precision.DAY,
        end_date=dt.date(2019, 9, 1),
        end_date_precision=Precision.DAY,
    )
    with pytest.raises(ValidationError) as caught:
        exercise.full_clean()
    assert caught.value.message_dict["end_date"] == [
        "Ends (1 September 2019) before it starts (16 September 2019)."
    ]


def test_end_before_start_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseFactory(
            start_date=dt.date(2019, 9, 16),
            start_date_precision=Precision.DAY,
            end_date=dt.date(2019, 9, 1),
            end_date_precision=Precision.DAY,
        )


def test_an_agreement_cannot_expire_before_it_was_concluded():
    agreement = AgreementFactory.build(
        expires=dt.date(2000, 1, 1), expires_precision=Precision.YEAR
    )
    with pytest.raises(ValidationError) as caught:
        agreement.full_clean()
    assert "expires" in caught.value.message_dict


def test_a_negative_value_fails_validation():
    deal = ArmsDealFactory(value_amount=Decimal("1"), value_currency="USD")
    deal.value_amount = Decimal("-5")
    with pytest.raises(ValidationError) as caught:
        deal.full_clean()
    assert caught.value.message_dict["value_amount"] == ["A value cannot be negative."]


def test_a_negative_value_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArmsDealFactory(value_amount=Decimal("-5"), value_currency="USD")


def test_a_value_needs_a_currency():
    deal = ArmsDealFactory.build(value_amount=Decimal("3000000000"), value_currency="")
    with pytest.raises(ValidationError) as caught:
        deal.full_clean(exclude=["supplier", "recipient"])
    assert caught.value.message_dict["value_currency"] == ["A value needs its currency."]


def test_supplier_equal_to_recipient_fails_validation():
    russia = ActorFactory(slug="russia")
    deal = ArmsDealFactory.build(supplier=russia, recipient=russia)
    with pytest.raises(ValidationError) as caught:
        deal.full_clean()
    assert caught.value.message_dict["recipient"] == ["The supplier cannot also be the recipient."]


def test_supplier_equal_to_recipient_is_refused_by_the_database():
    russia = ActorFactory(slug="russia")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArmsDealFactory(supplier=russia, recipient=russia)


def test_a_percentage_above_100_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArmsDealFactory(percentage=Decimal("120"))


def test_a_cited_source_cannot_be_deleted():
    citation = CitationFactory(exercise=ExerciseFactory())
    with pytest.raises(ProtectedError):
        citation.source.delete()
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_deleting_a_record_deletes_its_citations_but_not_the_source():
    exercise = ExerciseFactory()
    citation = CitationFactory(exercise=exercise)
    exercise.delete()
    assert not Citation.objects.filter(pk=citation.pk).exists()
    assert citation.source.__class__.objects.filter(pk=citation.source_id).exists()


def test_a_citation_must_support_exactly_one_record():
    with pytest.raises(IntegrityError), transaction.atomic():
        CitationFactory(exercise=ExerciseFactory(), agreement=AgreementFactory())


def test_a_citation_must_support_some_record():
    with pytest.raises(IntegrityError), transaction.atomic():
        CitationFactory()


def test_footnote_zero_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CitationFactory(exercise=ExerciseFactory(), footnote=0)


def test_an_actor_in_an_exercise_cannot_be_deleted():
    exercise = ExerciseFactory()
    actor = ActorFactory()
    ExerciseParticipant.objects.create(exercise=exercise, actor=actor)
    with pytest.raises(ProtectedError):
        actor.delete()


def test_an_actor_cannot_take_part_twice_in_one_exercise():
    exercise = ExerciseFactory()
    actor = ActorFactory()
    ExerciseParticipant.objects.create(exercise=exercise, actor=actor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseParticipant.objects.create(exercise=exercise, actor=actor)


def test_slugs_are_unique():
    ExerciseFactory(slug="vostok-2018")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseFactory(slug="vostok-2018")


def test_a_saved_slug_cannot_change():
    exercise = ExerciseFactory(slug="vostok-2018")
    exercise.slug = "vostok-18"
    with pytest.raises(ValidationError) as caught:
        exercise.full_clean()
    assert caught.value.message_dict["slug"] == [
        "The identifier “vostok-2018” is public and cannot be changed."
    ]


def test_deleting_a_record_leaves_a_tombstone():
    ExerciseFactory(slug="vostok-2018").delete()
    assert DeletedRecord.objects.filter(record_type="exercise", slug="vostok-2018").count() == 1


def test_a_deleted_records_slug_is_never_reused():
    ExerciseFactory(slug="vostok-2018").delete()
    reuse = ExerciseFactory.build(slug="vostok-2018")
    with pytest.raises(ValidationError) as caught:
        reuse.full_clean()
    assert caught.value.message_dict["slug"] == [
        "“vostok-2018” belonged to a deleted record; identifiers are never reused."
    ]


def test_an_actor_cannot_be_its_own_ancestor():
    china = ActorFactory(slug="china")
    navy = ActorFactory(slug="pla-navy", parent=china)
    china.parent = navy
    with pytest.raises(ValidationError) as caught:
        china.full_clean()
    assert "parent" in caught.value.message_dict


def test_aliases_must_be_a_list_of_names():
    actor = ActorFactory.build(aliases="Shoigu")
    with pytest.raises(ValidationError) as caught:
        actor.full_clean()
    assert "aliases" in caught.value.message_dict


def test_aliases_hold_at_most_their_length_together():
    actor = ActorFactory.build(aliases=["a" * 2_500, "b" * 2_501])
    with pytest.raises(ValidationError) as caught:
        actor.full_clean()
    assert caught.value.message_dict["aliases"] == [
        "The other names come to 5,001 characters together; at most 5,000 are allowed."
    ]


def test_statement_text_is_required():
    statement = StatementFactory.build(text="", speaker=None)
    with pytest.raises(ValidationError) as caught:
        statement.full_clean()
    assert "text" in caught.value.message_dict


def test_record_save_replaces_participants_and_citations_together():
    exercise = ExerciseFactory()
    china, iran = ActorFactory(slug="china"), ActorFactory(slug="iran")
    source = SourceFactory()
    services.record_save(
        exercise,
        links=[{"actor": china, "role": "host"}, {"actor": iran, "contribution": "a destroyer"}],
        citations=[{"source": source, "footnote": 7, "locator": "p. 13"}],
    )
    exercise = Exercise.objects.with_participants().get(pk=exercise.pk)
    assert [(p.actor.slug, p.role) for p in exercise.participations.all()] == [
        ("china", "host"),
        ("iran", "participant"),
    ]
    assert [(c.footnote, c.locator) for c in exercise.citations.all()] == [(7, "p. 13")]


def test_record_save_writes_nothing_when_a_link_is_invalid():
    exercise = ExerciseFactory(name="Before")
    china = ActorFactory(slug="china")
    ExerciseParticipant.objects.create(exercise=exercise, actor=china)
    exercise.name = "After"
    with pytest.raises(ValidationError):
        services.record_save(exercise, links=[{"actor": china, "role": "commander"}])
    exercise.refresh_from_db()
    assert exercise.name == "Before"
    assert list(exercise.participations.values_list("actor__slug", flat=True)) == ["china"]


def test_actor_search_finds_an_alias():
    ActorFactory(slug="sergei-shoigu", name="Sergei Shoigu", aliases=["Sergey Shoygu"])
    assert list(
        Actor.objects.filter(aliases__icontains="shoygu").values_list("slug", flat=True)
    ) == ["sergei-shoigu"]


def test_record_save_reports_a_duplicate_participant_as_a_validation_error():
    exercise = ExerciseFactory()
    china = ActorFactory(slug="china")
    with pytest.raises(ValidationError) as caught:
        services.record_save(exercise, links=[{"actor": china}, {"actor": china}])
    assert caught.value.message_dict == {
        "participations": ["Row 2: This actor is already listed in the exercise."]
    }
    assert not exercise.participations.exists()
