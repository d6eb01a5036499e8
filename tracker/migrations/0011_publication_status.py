"""Records get a publication status; the seed (every existing record) is published.

Existing rows become ``published`` (they are the public record so far), and
those of them the sources do not date are marked ``date unknown`` so that they
meet the publishing rule; records created from now on start as ``draft``.
Tombstones and change rows written so far were all public.
"""

from django.db import migrations, models

STATUS = models.CharField(
    choices=[("draft", "draft"), ("in_review", "in review"), ("published", "published")],
    db_index=True,
    default="draft",
    help_text="Only published records are shown to the public (API, exports, feeds).",
    max_length=12,
    verbose_name="publication status",
)
DATE_UNKNOWN = models.BooleanField(
    default=False,
    help_text="Tick when the sources give no date: a record is published only with a date or "
    "with this ticked.",
    verbose_name="date unknown",
)
#: model -> (constraint prefix, fields that date it)
MODELS = {
    "actor": ("actor", ()),
    "source": ("source", ()),
    "agreement": ("agreement", ("concluded", "in_force")),
    "exercise": ("exercise", ("start_date",)),
    "armsdeal": ("arms_deal", ("contract_date", "period_start")),
    "statement": ("statement", ("date",)),
}


def mark_undated(apps, schema_editor):
    """Published records without a date say so (the rule added below demands it)."""
    for model_name, (_, dates) in MODELS.items():
        if not dates:
            continue
        undated = {f"{field}__isnull": True for field in dates}
        apps.get_model("tracker", model_name).objects.filter(**undated).update(date_unknown=True)


def operations():
    ops = []
    for model_name, (_, dates) in MODELS.items():
        published = STATUS.clone()
        published.default = "published"
        ops.append(migrations.AddField(model_name, "publication_status", published))
        if dates:
            ops.append(migrations.AddField(model_name, "date_unknown", DATE_UNKNOWN.clone()))
    ops.append(migrations.RunPython(mark_undated, migrations.RunPython.noop))
    for model_name, (prefix, dates) in MODELS.items():
        ops.append(migrations.AlterField(model_name, "publication_status", STATUS.clone()))
        ops.append(
            migrations.AddConstraint(
                model_name,
                models.CheckConstraint(
                    condition=models.Q(publication_status__in=["draft", "in_review", "published"]),
                    name=f"{prefix}_publication_status_known",
                    violation_error_message="Unknown publication status.",
                ),
            )
        )
        if dates:
            dated = models.Q(date_unknown=True)
            for field in dates:
                dated |= models.Q(**{f"{field}__isnull": False})
            ops.append(
                migrations.AddConstraint(
                    model_name,
                    models.CheckConstraint(
                        condition=~models.Q(publication_status="published") | dated,
                        name=f"{prefix}_published_dated",
                        violation_error_message="A published record has a date or is marked "
                        "“date unknown”.",
                    ),
                )
            )
    ops += [
        migrations.AddField("deletedrecord", "public", models.BooleanField(default=True)),
        migrations.AddField("deletedrecord", "withdrawn", models.BooleanField(default=False)),
        migrations.AddField("change", "public", models.BooleanField(default=True)),
    ]
    return ops


class Migration(migrations.Migration):
    dependencies = [("tracker", "0010_change_log")]

    operations = operations()
