"""Trigram indexes for the API's ``search`` on PostgreSQL; nothing on other databases.

``search`` filters with ``icontains``, which Django writes on PostgreSQL as
``UPPER("col"::text) LIKE UPPER('%term%')``. A GIN trigram index on exactly
that expression lets PostgreSQL answer it without reading every row. The
model state is unchanged, so ``makemigrations --check`` stays clean.
"""

from django.db import migrations

#: (table, column) pairs searched by the API (tracker/api/filters.py search_fields).
SEARCHED_COLUMNS = [
    ("tracker_actor", "name"),
    ("tracker_actor", "aliases"),
    ("tracker_actor", "role"),
    ("tracker_actor", "description"),
    ("tracker_source", "title"),
    ("tracker_source", "authors"),
    ("tracker_source", "outlet"),
    ("tracker_source", "details"),
    ("tracker_agreement", "title"),
    ("tracker_agreement", "summary"),
    ("tracker_exercise", "name"),
    ("tracker_exercise", "series"),
    ("tracker_exercise", "location"),
    ("tracker_exercise", "region"),
    ("tracker_exercise", "summary"),
    ("tracker_armsdeal", "title"),
    ("tracker_armsdeal", "item"),
    ("tracker_armsdeal", "value_text"),
    ("tracker_armsdeal", "summary"),
    ("tracker_statement", "text"),
    ("tracker_statement", "occasion"),
    ("tracker_statement", "speaker_role"),
]


def index_name(table: str, column: str) -> str:
    return f"{table.removeprefix('tracker_')}_{column}_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
