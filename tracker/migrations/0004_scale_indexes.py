"""Indexes for every ordering the API and the admin offer, and more trigram search indexes.

Portable B-tree indexes (default orderings, ``created_at``) are in the models'
``Meta`` (``ordering_indexes``). On PostgreSQL only, and a no-op elsewhere
like 0002, this also creates:

* ``DESC NULLS LAST`` indexes for every descending ``ordering`` the API
  offers (a B-tree read backwards gives ``NULLS FIRST``, which does not match;
  SQLite cannot create them);
* trigram indexes on the columns the admin searches besides the API's:
  every record's slug, sources' URLs, citations' locators and excerpts.

The model state is unchanged by these, so ``makemigrations --check`` stays clean.
"""

from django.db import migrations, models

#: table -> fields the API's ``ordering`` offers (tracker/api/filters.py), slug aside.
DESCENDING_ORDERINGS = {
    "tracker_actor": ("name", "kind", "country", "created_at", "updated_at"),
    "tracker_source": ("title", "published", "created_at", "updated_at"),
    "tracker_agreement": ("concluded", "title", "created_at", "updated_at"),
    "tracker_exercise": ("start_date", "name", "created_at", "updated_at"),
    "tracker_armsdeal": ("contract_date", "period_start", "title", "created_at", "updated_at"),
    "tracker_statement": ("date", "created_at", "updated_at"),
}

#: (table, column) pairs the admin searches that 0002 does not index.
ADMIN_SEARCHED_COLUMNS = [
    ("tracker_actor", "slug"),
    ("tracker_source", "slug"),
    ("tracker_source", "url"),
    ("tracker_agreement", "slug"),
    ("tracker_exercise", "slug"),
    ("tracker_armsdeal", "slug"),
    ("tracker_statement", "slug"),
    ("tracker_citation", "locator"),
    ("tracker_citation", "excerpt"),
    ("tracker_deletedrecord", "slug"),
]


def short(table: str) -> str:
    return table.removeprefix("tracker_")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, fields in DESCENDING_ORDERINGS.items():
        for field in fields:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{short(table)}_{field}_d" ON "{table}" '
                f'("{field}" DESC NULLS LAST, "slug")'
            )
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in ADMIN_SEARCHED_COLUMNS:
        # UPPER(col::text) is exactly what icontains compares on PostgreSQL.
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{short(table)}_{column}_trgm" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, fields in DESCENDING_ORDERINGS.items():
        for field in fields:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{short(table)}_{field}_d"')
    for table, column in ADMIN_SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{short(table)}_{column}_trgm"')


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0003_roles'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['name', 'slug'], name='actor_order_idx'),
        ),
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['created_at', 'slug'], name='actor_created_at_a'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['concluded', 'concluded_precision', 'slug'], name='agreement_order_idx'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['created_at', 'slug'], name='agreement_created_at_a'),
        ),
        migrations.AddIndex(
            model_name='armsdeal',
            index=models.Index(fields=['contract_date', 'period_start', 'slug'], name='armsdeal_order_idx'),
        ),
        migrations.AddIndex(
            model_name='armsdeal',
            index=models.Index(fields=['created_at', 'slug'], name='armsdeal_created_at_a'),
        ),
        migrations.AddIndex(
            model_name='exercise',
            index=models.Index(fields=['start_date', 'start_date_precision', 'slug'], name='exercise_order_idx'),
        ),
        migrations.AddIndex(
            model_name='exercise',
            index=models.Index(fields=['created_at', 'slug'], name='exercise_created_at_a'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['title', 'slug'], name='source_order_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['created_at', 'slug'], name='source_created_at_a'),
        ),
        migrations.AddIndex(
            model_name='statement',
            index=models.Index(fields=['date', 'date_precision', 'slug'], name='statement_order_idx'),
        ),
        migrations.AddIndex(
            model_name='statement',
            index=models.Index(fields=['created_at', 'slug'], name='statement_created_at_a'),
        ),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
