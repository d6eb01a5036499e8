"""Statistics for the suffix indexes of 0018 (PostgreSQL).

An expression index has statistics of its own, gathered by ANALYZE of its
table. Until then the planner takes a prefix query on it to match 0.5 % of a
table's rows, whatever the word; ``tracker.substrings`` decides from the plan
whether to read the index, so a table left unanalysed after 0018 (autovacuum
analyses only after enough rows change) was planned on that guess. A no-op on
other databases. At a million statements it took about 25 s.
"""

import importlib

from django.db import migrations

SUFFIX_INDEXES = importlib.import_module("tracker.migrations.0018_suffix_indexes").INDEXES


def tables() -> list[str]:
    return sorted({table for table, _ in SUFFIX_INDEXES.values()})


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ANALYZE {', '.join(tables())}")


class Migration(migrations.Migration):
    # Each table's ANALYZE commits on its own: its lock is not held until the last
    # table is done (about 25 s at a million statements).
    atomic = False

    dependencies = [
        ("tracker", "0018_suffix_indexes"),
    ]

    operations = [migrations.RunPython(analyze, migrations.RunPython.noop)]
