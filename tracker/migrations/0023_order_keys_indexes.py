"""A deep page reads the keys of the rows before it from an index alone.

``?page=100`` read 9,900 rows from the table to pass over them (``OFFSET``):
41 ms at a million statements with the table's pages cold, and ``?page=5000``
450 ms. Each record type gets a second index of its default order carrying
the publication status and the key (INCLUDE, PostgreSQL; elsewhere it is a
copy of the order index), so the keys up to a deep page come from it alone
(1.4 ms for page 100) and the page's rows are read by their keys
(``tracker.counting.DEEP_OFFSET``). The order index itself stays narrow: made
wider, it was priced out of the walks it serves. Building them took 3 s for a
million statements.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0022_citation_footnote_covering'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['name', 'slug'], include=('publication_status', 'id'), name='actor_order_keys'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['concluded', 'concluded_precision', 'slug'], include=('publication_status', 'id'), name='agreement_order_keys'),
        ),
        migrations.AddIndex(
            model_name='armsdeal',
            index=models.Index(fields=['contract_date', 'period_start', 'slug'], include=('publication_status', 'id'), name='armsdeal_order_keys'),
        ),
        migrations.AddIndex(
            model_name='exercise',
            index=models.Index(fields=['start_date', 'start_date_precision', 'slug'], include=('publication_status', 'id'), name='exercise_order_keys'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['title', 'slug'], include=('publication_status', 'id'), name='source_order_keys'),
        ),
        migrations.AddIndex(
            model_name='statement',
            index=models.Index(fields=['date', 'date_precision', 'slug'], include=('publication_status', 'id'), name='statement_order_keys'),
        ),
    ]
