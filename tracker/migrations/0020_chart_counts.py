"""Counts of published records per chart group, kept by triggers (tracker.chart_counts)."""

from django.db import migrations, models


def uninstall(apps, schema_editor):
    from tracker import chart_triggers

    chart_triggers.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0019_analyze_suffix_indexes")]

    operations = [
        migrations.CreateModel(
            name="ChartCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("record_type", models.CharField(max_length=40)),
                ("year", models.IntegerField(null=True)),
                ("precision", models.PositiveSmallIntegerField(null=True)),
                ("category", models.CharField(max_length=40)),
                ("currency", models.CharField(blank=True, default="", max_length=3)),
                ("estimate", models.BooleanField(default=False)),
                ("n", models.BigIntegerField()),
                ("valued", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, max_digits=24, null=True)),
            ],
            options={"indexes": [models.Index(fields=["record_type"], name="chart_count_type")]},
        ),
        # The triggers are made after every migrate (post_migrate, from the code's
        # declaration: tracker.chart_triggers.keep_counts). Reversed, they go before
        # the table they write to.
        migrations.RunPython(migrations.RunPython.noop, uninstall),
    ]
