from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """The tracker: agreements, exercises, arms deals, statements, their actors and sources."""

    name = "tracker"
    verbose_name = "Sino-Russian military cooperation"

    def ready(self) -> None:
        # signals connects the deletion log, changes the change log; internals
        # registers its start-up check.
        from . import changes, history, internals, signals  # noqa: F401

        history.register_models()
