"""Suffix indexes: a search word's matches counted from an index alone (PostgreSQL).

See ``tracker/substrings.py`` for what they hold and why a prefix query on them
matches exactly what ``icontains`` does. A no-op on other databases, like 0002
and 0004; the model state is unchanged.

The function and the indexes are written out here as they were when this
migration was made; ``tests/test_substrings.py`` checks that
``tracker.substrings`` still writes the same, so that a change of a record
type's search fields comes with a migration of its index.
"""

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION tracker_suffixes(VARIADIC texts text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT array_to_tsvector(coalesce(array_agg(left(substr(run, i), 16)), '{}'))
  FROM regexp_split_to_table(
         upper(array_to_string(texts, ' ')),
         '[^ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789]+'
       ) AS run,
       generate_series(1, length(run)) AS i
$$
"""

#: index name -> (table, the columns as the function is given them)
INDEXES = {
    "actor_suffixes": ("tracker_actor", '"name", ("aliases")::text, "role", "description"'),
    "source_suffixes": ("tracker_source", '"title", "authors", "outlet", "details"'),
    "agreement_suffixes": ("tracker_agreement", '"title", "summary"'),
    "exercise_suffixes": (
        "tracker_exercise",
        '"name", "series", "location", "region", "summary"',
    ),
    "armsdeal_suffixes": ("tracker_armsdeal", '"title", "item", "value_text", "summary"'),
    "statement_suffixes": ("tracker_statement", '"text", "occasion", "speaker_role"'),
}


def index_sql(name: str) -> str:
    table, columns = INDEXES[name]
    return (
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (tracker_suffixes({columns}))'
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION_SQL)
    for name in INDEXES:
        schema_editor.execute(index_sql(name))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS tracker_suffixes(VARIADIC text[])")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0017_link_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
