from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """The tracker: agreements, exercises, arms deals, statements, their actors and sources."""

    name = "tracker"
    verbose_name = "Sino-Russian military cooperation"

    def ready(self) -> None:
        from . import history, signals  # noqa: F401  (signals connects the deletion log)

        history.register_models()
