"""Citations are duplicates however their locator is written, or with no footnote.

Locators are stored without surrounding spaces (the column is already NOT
NULL, so "no locator" is always ``""``), and a record cites a source at most
once per footnote and page even when the footnote is empty: the existing
unique constraints cannot see those, since NULLs are distinct in a unique
index, so each kind of record gets a second, partial one.

Existing rows are normalised first. Citations that become duplicates are
merged into the oldest: its excerpt gains the others' differing excerpts, so
no passage is lost.
"""

from django.db import migrations, models
from django.db.models import Count, Q

TARGETS = ("agreement", "exercise", "arms_deal", "statement", "actor")
KEY = (*(f"{t}_id" for t in TARGETS), "source_id", "footnote")


def _key(row: dict) -> tuple:
    return (*(row[name] for name in KEY), (row["locator"] or "").strip())


def normalise_citations(apps, schema_editor) -> None:
    Citation = apps.get_model("tracker", "Citation")
    padded_sources = Citation.objects.filter(locator__regex=r"^\s|\s$").values("source_id")
    duplicated_sources = (
        Citation.objects.filter(footnote__isnull=True)
        .values(*KEY, "locator")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
        .values("source_id")
    )
    candidates = (
        Citation.objects.filter(
            Q(source_id__in=padded_sources) | Q(source_id__in=duplicated_sources)
        )
        .order_by("id")
        .values("id", *KEY, "locator", "excerpt")
    )
    kept: dict[tuple, dict] = {}
    changed: dict[int, dict] = {}
    doomed: list[int] = []
    for row in candidates:
        key = _key(row)
        first = kept.get(key)
        if first is None:
            kept[key] = row
            if row["locator"] != key[-1]:
                row["locator"] = key[-1]
                changed[row["id"]] = row
            continue
        doomed.append(row["id"])
        excerpt = row["excerpt"].strip()
        if excerpt and excerpt not in first["excerpt"]:
            first["excerpt"] = f"{first['excerpt']}\n\n{excerpt}".strip()
            changed[first["id"]] = first
    # Duplicates go first, so normalised locators meet no twin in the existing constraints.
    Citation.objects.filter(id__in=doomed).delete()
    Citation.objects.bulk_update(
        [Citation(id=r["id"], locator=r["locator"], excerpt=r["excerpt"]) for r in changed.values()],
        ["locator", "excerpt"],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0007_long_texts"),
    ]

    operations = [
        migrations.RunPython(normalise_citations, migrations.RunPython.noop),
        *[
            migrations.AddConstraint(
                model_name="citation",
                constraint=models.UniqueConstraint(
                    condition=models.Q(**{f"{target}__isnull": False, "footnote__isnull": True}),
                    fields=(target, "source", "locator"),
                    name=f"citation_unique_{target}_unnumbered",
                    violation_error_message="This record already cites that source there.",
                ),
            )
            for target in TARGETS
        ],
    ]
