"""Name-prefix indexes for ranking a search with many matches, on PostgreSQL only.

A search ranked by name (``tracker.search``) with more matches than it ranks
in full puts first the records whose name starts with the typed text, found
through ``(UPPER(LEFT(name, 100)) COLLATE "C") LIKE 'TEXT%'`` in that
expression's order (``tracker.search.NameKey``). A B-tree on exactly that
expression answers it as a range read in order, stopping after the first
hundred, whatever the database's collation; the ``"C"`` collation is what lets
``LIKE`` use it. The first 100 characters keep every entry small (statements'
texts are unbounded). Nothing on other databases; the model state is
unchanged, so ``makemigrations --check`` stays clean.
"""

from django.db import migrations

#: (table, name column) of each record type, as tracker.search.NAME_FIELDS names them.
NAME_COLUMNS = [
    ("tracker_actor", "name"),
    ("tracker_source", "title"),
    ("tracker_agreement", "title"),
    ("tracker_exercise", "name"),
    ("tracker_armsdeal", "title"),
    ("tracker_statement", "text"),
]
#: tracker.search.PREFIX_LENGTH when this migration was written.
PREFIX_LENGTH = 100


def index_name(table: str, column: str) -> str:
    return f"{table.removeprefix('tracker_')}_{column}_prefix"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in NAME_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" ON "{table}" '
            f'((UPPER(LEFT("{column}", {PREFIX_LENGTH})) COLLATE "C"))'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in NAME_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_citation_duplicates")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
