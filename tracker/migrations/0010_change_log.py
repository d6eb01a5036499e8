"""The change log read by the sync feed (/api/v1/changes/), filled with every existing record."""

from django.db import migrations, models

RECORD_MODELS = ("actor", "source", "agreement", "exercise", "armsdeal", "statement")
BATCH = 5000


def log_existing_records(apps, schema_editor):
    """One change per existing record, so a consumer's first sync is a full mirror.

    They carry transaction id 0: written before any transaction still open,
    they come first in the feed.
    """
    change = apps.get_model("tracker", "Change")
    for name in RECORD_MODELS:
        slugs = apps.get_model("tracker", name).objects.order_by("pk").values_list("slug", flat=True)
        change.objects.bulk_create(
            (change(txid=0, record_type=name, slug=slug) for slug in slugs.iterator()),
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0009_name_prefix_indexes")]

    operations = [
        migrations.CreateModel(
            name="Change",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("txid", models.BigIntegerField(default=0)),
                ("record_type", models.CharField(max_length=40)),
                ("slug", models.SlugField(db_index=False, max_length=120)),
                ("deleted", models.BooleanField(default=False)),
                ("changed_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["txid", "id"],
                "indexes": [models.Index(fields=["txid", "id"], name="change_feed_order")],
            },
        ),
        migrations.RunPython(log_existing_records, migrations.RunPython.noop),
    ]
