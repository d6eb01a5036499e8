from django.apps import AppConfig
from django.core.management import call_command
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def create_cache_table(sender, using: str = "default", **kwargs) -> None:
    """Create the database cache's table (throttle and lockout counts) wherever ``migrate`` runs.

    ``createcachetable`` does nothing when the table exists or the cache is
    not the database cache (Redis), so running it after every migration keeps
    ``setup_tracker``, ``scripts/run``, a production start and the tests alike.
    """
    call_command("createcachetable", database=using, verbosity=0)


class TrackerConfig(AppConfig):
    """The tracker: agreements, exercises, arms deals, statements, their actors and sources."""

    name = "tracker"
    verbose_name = "Sino-Russian military cooperation"

    def ready(self) -> None:
        # signals connects the deletion log, changes the change log, chart_counts the
        # merging of the charts' counts; internals_check registers its start-up check.
        from . import (  # noqa: F401
            changes,
            chart_counts,
            chart_triggers,
            history,
            internals_check,
            signals,
        )

        history.register_models()
        post_migrate.connect(create_cache_table, sender=self)
        post_migrate.connect(chart_triggers.keep_counts, sender=self)
        from .api.json_links import parse_json_with_orjson

        connection_created.connect(parse_json_with_orjson)
