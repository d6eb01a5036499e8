"""CSV as a list format: negotiated like any renderer, streamed by the view."""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Selects CSV (``?format=csv`` or ``Accept: text/csv``) for list endpoints.

    The list view streams every row itself (see ``RecordViewSet.list``), so
    this renderer only ever sees error bodies, which the view answers in JSON.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else str(data).encode(self.charset)
