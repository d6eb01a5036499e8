"""The tracker under gunicorn (two workers): shared counts, concurrent editors, chunked bodies.

One server for the module (tests/served.py): a database of its own, SQLite
unless ``DATABASE_URL`` names PostgreSQL, and the database cache as in
production. Only the throttle test sends anonymous API requests.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.served import Served, form_values, served_tracker

ANONYMOUS_RATE = 10
BODY_LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with served_tracker(
        workers=2,
        threads=4,
        env={
            "API_ANON_THROTTLE_RATE": f"{ANONYMOUS_RATE}/minute",
            "DATA_UPLOAD_MAX_MEMORY_SIZE": str(BODY_LIMIT),
        },
    ) as server:
        yield server


def token_headers(served: Served, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Token {served.token}", "Accept": "application/json", **extra}


def create_source(served: Served, slug: str) -> str:
    """A new source through the API; its ETag."""
    response = requests.post(
        f"{served.url}/api/v1/sources/",
        json={"slug": slug, "title": f"Source {slug}", "kind": "news", "language": "en"},
        headers=token_headers(served),
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.headers["ETag"]


def all_at_once(actions: list[Callable[[], object]]) -> list[object]:
    """Run the actions in threads released together; their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


# -- one throttle count for every worker -------------------------------------------


def worker_of(served: Served, conn: http.client.HTTPConnection) -> str:
    """The process id of the worker holding ``conn`` (an unthrottled request, then the log)."""
    before = len(served.access_lines())
    conn.request("GET", "/admin/login/")
    conn.getresponse().read()
    deadline = time.monotonic() + 10
    while len(lines := served.access_lines()) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines[-1].split()[0]


def connections_to_two_workers(served: Served) -> list[http.client.HTTPConnection]:
    """Two keep-alive connections held by different workers."""
    by_worker: dict[str, http.client.HTTPConnection] = {}
    for _ in range(50):
        conn = served.connection()
        by_worker.setdefault(worker_of(served, conn), conn)
        if len(by_worker) == 2:
            return list(by_worker.values())
    raise AssertionError("every connection went to the same worker")


def test_two_workers_share_one_anonymous_throttle_count(served):
    first, second = connections_to_two_workers(served)
    statuses = []
    for n in range(ANONYMOUS_RATE + 1):
        conn = (first, second)[n % 2]  # alternately one worker, then the other
        conn.request("GET", "/api/v1/deletions/", headers={"Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    # Each worker writes its own access lines: wait until all of them are in the log.
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in served.access_lines() if "/api/v1/deletions/" in line]
        if len(lines) > ANONYMOUS_RATE or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    api_workers = {line.split()[0] for line in lines}

    assert (statuses, len(api_workers)) == ([200] * ANONYMOUS_RATE + [429], 2)


# -- concurrent editors on one record ---------------------------------------------


def test_six_concurrent_api_writers_of_one_record_get_one_200_and_five_412(served):
    slug = "served-api-race"
    create_source(served, slug)
    url = f"{served.url}/api/v1/sources/{slug}/"
    rounds = []
    for round_number in range(5):
        etag = requests.get(url, headers=token_headers(served), timeout=60).headers["ETag"]

        def write(writer: int, etag=etag, round_number=round_number) -> int:
            return requests.patch(
                url,
                json={"title": f"Round {round_number} by writer {writer}"},
                headers=token_headers(served, **{"If-Match": etag}),
                timeout=120,
            ).status_code

        rounds.append(sorted(all_at_once([lambda w=w: write(w) for w in range(6)])))

    assert rounds == [[200, 412, 412, 412, 412, 412]] * 5


def admin_session(served: Served) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{served.url}/admin/login/", timeout=60).text
    token = dict(form_values(page, "login-form"))["csrfmiddlewaretoken"]
    response = session.post(
        f"{served.url}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token,
            "username": served.username,
            "password": served.password,
        },
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text
    return session


def test_four_concurrent_admin_saves_of_one_record_keep_one_and_refuse_three(served):
    slug = "served-admin-race"
    create_source(served, slug)
    sessions = [admin_session(served) for _ in range(4)]
    listing = sessions[0].get(f"{served.url}/admin/tracker/source/?q={slug}", timeout=60).text
    change = re.search(r'href="(/admin/tracker/source/[^"]+/change/)', listing).group(1)
    rounds = []
    for round_number in range(3):
        forms = [
            dict(form_values(s.get(served.url + change, timeout=60).text, "source_form"))
            for s in sessions
        ]

        def save(editor: int, forms=forms, round_number=round_number) -> tuple[int, bool]:
            data = {**forms[editor], "title": f"Round {round_number} by editor {editor}"}
            response = sessions[editor].post(
                served.url + change,
                data={**data, "_save": "Save"},
                allow_redirects=False,
                timeout=120,
            )
            return response.status_code, "changed by someone else" in response.text

        rounds.append(sorted(all_at_once([lambda e=e: save(e) for e in range(4)])))

    assert rounds == [[(200, True), (200, True), (200, True), (302, False)]] * 3


# -- chunked request bodies -------------------------------------------------------


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body in pieces: requests sends a generator with Transfer-Encoding: chunked."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def source_body(slug: str, size: int) -> bytes:
    """A valid source as JSON, padded with spaces to ``size`` bytes."""
    body = json.dumps({"slug": slug, "title": "Chunked", "kind": "news", "language": "en"})
    return body.encode().ljust(size)


def test_a_chunked_body_of_exactly_the_size_limit_is_read(served):
    response = requests.post(
        f"{served.url}/api/v1/sources/",
        data=chunks(source_body("served-chunked", BODY_LIMIT)),
        headers=token_headers(served, **{"Content-Type": "application/json"}),
        timeout=120,
    )

    assert (response.status_code, response.json()["slug"]) == (201, "served-chunked")


def test_a_chunked_body_one_byte_over_the_limit_is_refused_with_413(served):
    response = requests.post(
        f"{served.url}/api/v1/sources/",
        data=chunks(source_body("served-chunked-large", BODY_LIMIT + 1)),
        headers=token_headers(served, **{"Content-Type": "application/json"}),
        timeout=120,
    )

    assert (response.status_code, response.json()) == (
        413,
        {"detail": f"The request body is larger than the limit of {BODY_LIMIT} bytes."},
    )
