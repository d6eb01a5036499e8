"""Request bodies sent without a length (``Transfer-Encoding: chunked``), made readable to Django.

Django reads exactly ``CONTENT_LENGTH`` bytes of a body and none when it is
absent, so a chunked body was read as empty ("field required"). A server that
decodes chunked bodies itself (gunicorn) says so with ``wsgi.input_terminated``:
then the body is read here, up to one byte over ``DATA_UPLOAD_MAX_MEMORY_SIZE``,
and handed on with its length, so every size check Django and the API make
on a declared length applies unchanged (an oversized body is refused 413 by the
API). A server that does not (``runserver``) leaves the body undecoded: the
request is answered 411 Length Required.
"""

from __future__ import annotations

import io
import json

from django.conf import settings

READ_STEP = 64 * 1024


def _read_up_to(stream, limit: int | None) -> bytes:
    """The stream's bytes until its end, or ``limit`` bytes if it has more."""
    parts, size = [], 0
    while limit is None or size < limit:
        part = stream.read(READ_STEP if limit is None else min(READ_STEP, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class ChunkedBodies:
    """WSGI middleware around the Django application (see the module's docstring)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            if not environ.get("wsgi.input_terminated"):
                return self.length_required(start_response)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = _read_up_to(environ["wsgi.input"], None if limit is None else limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)

    @staticmethod
    def length_required(start_response):
        body = json.dumps(
            {"detail": "Send the request body with a Content-Length header, not chunked."}
        ).encode()
        start_response(
            "411 Length Required",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]
