"""Chunked request bodies reach Django with their length, or are refused with 411."""

from __future__ import annotations

import io
import json

from sinorus.chunked import ChunkedBodies


class Seen:
    """A WSGI application recording the body and length it was given."""

    def __call__(self, environ, start_response):
        self.length = environ.get("CONTENT_LENGTH")
        self.body = environ["wsgi.input"].read(int(self.length or 0))
        start_response("200 OK", [])
        return [b""]


def call(environ: dict) -> tuple[str, Seen, bytes]:
    seen = Seen()
    answer: list[str] = []
    body = b"".join(ChunkedBodies(seen)(environ, lambda status, headers: answer.append(status)))
    return answer[0], seen, body


def chunked(body: bytes, **extra) -> dict:
    return {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body), **extra}


def test_a_chunked_body_from_a_server_that_decoded_it_is_passed_on_with_its_length():
    status, seen, _ = call(chunked(b'{"title": "x"}', **{"wsgi.input_terminated": True}))

    assert (status, seen.length, seen.body) == ("200 OK", "14", b'{"title": "x"}')


def test_a_chunked_body_over_the_limit_is_passed_on_one_byte_over_it(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    _, seen, _ = call(chunked(b"x" * 100, **{"wsgi.input_terminated": True}))

    # Django and the API then refuse it as they refuse a declared length over the limit.
    assert (seen.length, seen.body) == ("11", b"x" * 11)


def test_a_chunked_body_the_server_did_not_decode_is_refused_with_411():
    status, _, body = call(chunked(b"5\r\nhello\r\n0\r\n\r\n"))

    assert (status, json.loads(body)) == (
        "411 Length Required",
        {"detail": "Send the request body with a Content-Length header, not chunked."},
    )


def test_a_body_with_a_length_is_left_alone():
    status, seen, _ = call({"CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"{}")})

    assert (status, seen.length, seen.body) == ("200 OK", "2", b"{}")
