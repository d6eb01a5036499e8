"""The API's renderers: JSON (DRF's bytes, written by orjson) and CSV for list endpoints."""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

#: Line and paragraph separators: valid in JSON, not in older JavaScript strings. DRF
#: escapes them; orjson writes them as they are.
SEPARATOR_ESCAPES = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))

_drf_default = JSONEncoder().default


class NotLikeDRF(TypeError):
    """A value orjson would write otherwise than DRF does: the body goes to DRF's renderer."""


def _default(value):
    # Dates, times, lazy strings, querysets: as DRF's encoder turns them into plain values.
    plain = _drf_default(value)
    if isinstance(plain, float):
        # A Decimal becomes a float there; orjson writes small ones as "1e-5", Python "1e-05".
        raise NotLikeDRF(type(value).__name__)
    return plain


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON output, byte for byte, written by orjson.

    DRF's renderer (``json.dumps``: compact, non-ASCII as is, no NaN, U+2028 and
    U+2029 escaped) took about a tenth of a list page's time; orjson writes the
    same bytes for the values the API's serializers produce (text, integers,
    true/false, null, lists and objects), in a tenth of the time. Everything else
    goes through DRF's own encoder first (dates, times, lazy strings) with
    ``OPT_PASSTHROUGH_DATETIME``, so it is shaped as DRF shapes it.

    What orjson would write differently is sent to DRF's renderer whole: an
    indented body (``Accept: application/json; indent=4``), an object key that
    is not text, an integer beyond 64 bits, text that is not valid Unicode, a
    float made by DRF's encoder (from a Decimal), and every body while
    ``COMPACT_JSON``, ``UNICODE_JSON`` or ``STRICT_JSON`` is not at its default.

    Left as orjson writes them, because the API produces none of them
    (``tests/test_api_renderer.py`` checks its fields for floats): a float in the
    data (the same number, written ``1e-5`` or ``0.00001`` where DRF writes
    ``1e-05``; NaN and infinities as ``null`` where DRF refuses them), a plain
    ``Enum`` (its value; DRF refuses it), and a dict subclass whose ``items()``
    differs from what it stores (a ``QueryDict``).
    """

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or not (self.compact and not self.ensure_ascii and self.strict):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(
                data,
                default=_default,
                option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS,
            )
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in SEPARATOR_ESCAPES:
            if raw in body:
                body = body.replace(raw, escaped)
        return body


class CSVRenderer(renderers.BaseRenderer):
    """Selects CSV (``?format=csv`` or ``Accept: text/csv``) for list endpoints.

    The list view streams every row itself (see ``RecordViewSet.list``), so
    this renderer only ever sees error bodies, which the view answers in JSON.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else str(data).encode(self.charset)
