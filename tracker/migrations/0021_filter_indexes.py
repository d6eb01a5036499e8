"""Indexes for filters that found few records by reading every one.

Found by ``bench/bench_filters.py``, which walks every filter at two scales:
statements in a language few are in (``?language=``, API and admin) read all
of a million statements (150 ms); sources likewise; the admin's "value is
estimate" filter read every arms deal three times (its count, page and date
bar: 140 ms at 150,000 deals). The deals' index is partial: estimated values
are the few, and the list's order is the index's.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0020_chart_counts'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='armsdeal',
            index=models.Index(condition=models.Q(('value_is_estimate', True)), fields=['contract_date', 'period_start', 'slug'], name='armsdeal_estimate_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['language'], name='source_language_idx'),
        ),
        migrations.AddIndex(
            model_name='statement',
            index=models.Index(fields=['language'], name='statement_language_idx'),
        ),
    ]
