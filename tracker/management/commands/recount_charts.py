"""``python manage.py recount_charts``: count the charts' records again from the records.

For counts a path outside the triggers left wrong: ``loaddata`` of a dump that
holds ``tracker.chartcount`` rows (the records' triggers count them too), or a
table emptied by hand. See :mod:`tracker.chart_counts`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, router

from tracker import chart_triggers
from tracker.models import ChartCount


class Command(BaseCommand):
    help = "Put the chart counts' triggers in place and count every published record again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options) -> None:
        if database not in settings.DATABASES:
            raise CommandError(f"No database is named {database!r} in the settings.")
        if not router.allow_migrate_model(database, ChartCount):
            raise CommandError(f"{database!r} is a replica: recount on the primary.")
        if ChartCount._meta.db_table not in connections[database].introspection.table_names():
            raise CommandError("This database has no chart counts yet: run `manage.py migrate`.")
        if not chart_triggers.install(database):
            chart_triggers.rebuild(database)
        rows = ChartCount.objects.using(database).count()
        self.stdout.write(f"Chart counts made again from the records: {rows} groups.")
