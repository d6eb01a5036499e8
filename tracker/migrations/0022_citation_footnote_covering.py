"""The footnote filter reads the records citing a footnote from an index alone.

``?footnote=`` finds the records of one type citing a footnote: the citations
of that footnote holding that type's key. The footnote's index gave the rows
and each was read from the table (22,700 citations of footnote 1 on 14,065
pages at a million statements, 15 ms, for the count and again for the page).
The citations' order index, which leads with the footnote, now carries the
records' keys (INCLUDE, PostgreSQL), and the footnote's own index, which it
made redundant, goes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0021_filter_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='citation',
            name='citation_order_idx',
        ),
        migrations.AlterField(
            model_name='citation',
            name='footnote',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Footnote number in the citing article.', null=True),
        ),
        migrations.AddIndex(
            model_name='citation',
            index=models.Index(fields=['footnote', 'id'], include=('agreement', 'exercise', 'arms_deal', 'statement', 'actor'), name='citation_order_idx'),
        ),
    ]
