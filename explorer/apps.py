from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    """Public pages: home, timeline, record pages, search, charts, feeds, sitemap."""

    name = "explorer"
    verbose_name = "Public explorer"

    def ready(self) -> None:
        # The page cache's version is bumped by every write to the tracker's tables.
        from . import cache  # noqa: F401
