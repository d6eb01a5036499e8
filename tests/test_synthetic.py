"""The synthetic data generator: deterministic, proportionate, linked and valid."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tracker import models, registry, synthetic

pytestmark = pytest.mark.django_db

SCALE = 60


def snapshot() -> dict[str, list[tuple]]:
    """Everything generated except ids and timestamps, with links named by slug."""
    return {
        "actors": list(
            models.Actor.objects.order_by("slug").values_list(
                "slug", "name", "kind", "country", "parent__slug", "aliases", "description"
            )
        ),
        "statements": list(
            models.Statement.objects.order_by("slug").values_list(
                "slug", "speaker__slug", "date", "date_precision", "kind", "text", "language"
            )
        ),
        "participants": sorted(
            models.ExerciseParticipant.objects.values_list("exercise__slug", "actor__slug", "role")
        ),
        "citations": sorted(
            models.Citation.objects.values_list(
                "source__slug",
                "footnote",
                "locator",
                "statement__slug",
                "exercise__slug",
                "arms_deal__slug",
                "agreement__slug",
            ),
            key=repr,
        ),
        "about": sorted(
            models.Statement.about_actors.through.objects.values_list(
                "statement__slug", "actor__slug"
            )
        ),
    }


def wipe() -> None:
    models.Citation.objects.all().delete()
    models.Statement.objects.all().delete()
    models.ArmsDeal.objects.all().delete()
    models.Exercise.objects.all().delete()
    models.Agreement.objects.all().delete()
    models.Source.objects.all().delete()
    models.Actor.objects.update(parent=None)
    models.Actor.objects.all().delete()


def test_same_seed_same_records_other_seed_other_records():
    synthetic.generate(SCALE, seed=7)
    first = snapshot()
    wipe()
    synthetic.generate(SCALE, seed=7)
    assert snapshot() == first
    wipe()
    synthetic.generate(SCALE, seed=8)
    assert snapshot()["statements"] != first["statements"]


def test_counts_follow_the_plan():
    counts = synthetic.generate(SCALE, seed=1)
    plan = synthetic.planned(SCALE)
    assert models.Statement.objects.count() == plan["statement"] == SCALE
    assert models.Actor.objects.count() == plan["actor"]
    assert models.Source.objects.count() == plan["source"]
    assert models.Agreement.objects.count() == plan["agreement"]
    assert models.Exercise.objects.count() == plan["exercise"]
    assert models.ArmsDeal.objects.count() == plan["arms_deal"]
    assert counts.rows["citation"] == models.Citation.objects.count()
    # At a million statements: hundreds of thousands of exercises and deals.
    big = synthetic.planned(1_000_000)
    assert big["exercise"] >= 100_000 and big["arms_deal"] >= 100_000


def test_every_record_is_linked_and_cited():
    synthetic.generate(SCALE, seed=2)
    for model in (models.Agreement, models.Exercise, models.ArmsDeal, models.Statement):
        assert not model.objects.filter(citations__isnull=True).exists(), model
    assert not models.Exercise.objects.filter(participations__isnull=True).exists()
    assert not models.Agreement.objects.filter(party_links__isnull=True).exists()
    assert models.Statement.objects.filter(speaker__isnull=False).exists()
    assert models.Actor.objects.filter(parent__isnull=False).exists()


def test_a_sample_of_every_kind_passes_full_clean():
    synthetic.generate(SCALE, seed=3)
    for model in (
        *(rt.model for rt in registry.RECORD_TYPES),
        models.Citation,
        models.ExerciseParticipant,
        models.AgreementParty,
        models.ArmsDealContractor,
    ):
        sample = list(model.objects.order_by("pk")[:15])
        assert sample, model
        for obj in sample:
            obj.full_clean()


def test_command_writes_once_and_refuses_a_second_run(capsys):
    call_command("generate_synthetic", "--scale", "20", "--seed", "4")
    assert "total rows" in capsys.readouterr().out
    assert models.Statement.objects.count() == 20
    with pytest.raises(CommandError):
        call_command("generate_synthetic", "--scale", "20")


def test_reported_values_and_status_updates_follow_their_records():
    from tracker.models.claims import MONEY_FIELD

    counts = synthetic.generate(400, seed=4)
    values = list(models.ReportedValue.objects.order_by("pk"))
    updates = list(models.StatusUpdate.objects.order_by("as_of", "pk"))
    latest = {}
    for update in updates:
        latest[update.target] = update.status
    preferred_match = all(
        getattr(v.target, "value_amount" if v.field == MONEY_FIELD else v.field)
        == (v.amount if v.field == MONEY_FIELD else v.date)
        for v in values
        if v.rank == "preferred"
    )
    for obj in [*values[:15], *updates[:15]]:
        obj.full_clean()

    assert (
        counts.rows["reportedvalue"] == len(values) > 0,
        counts.rows["statusupdate"] == len(updates) > 0,
        preferred_match,
        all(record.status == status for record, status in latest.items()),
        models.Exercise.objects.filter(reported_values__rank="normal").exists()
        or models.Exercise.objects.filter(reported_values__rank="deprecated").exists(),
    ) == (True, True, True, True, True)
