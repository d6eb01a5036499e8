"""Check a running production server: pages, their static files, the CSP, a screenshot.

Usage: ``python .ci/check_served.py http://127.0.0.1:PORT --screenshot PATH [--wait S]``

Fetches the explorer's home, timeline, charts and search, the API docs page and the admin login
page, then every script, style sheet and icon each references (and the docs'
start-up script): each must answer 200, the pages must carry a
Content-Security-Policy, and none may load anything from another site. Then
Chromium opens them all: no Content-Security-Policy violation may reach its
console, and the styled login page is saved as a screenshot. The server is
assumed to sit behind a TLS proxy (BEHIND_TLS_PROXY=true), so every request says
``X-Forwarded-Proto: https`` as the proxy would.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError, URLError

# The explorer's pages (its record pages need records; the served database is empty),
# the admin login and the API docs; Chromium opens them all, the login page last (its
# screenshot).
EXPLORER_PAGES = ["/", "/timeline/", "/charts/", "/search/?q=exercise"]
PAGES = [*EXPLORER_PAGES, "/api/v1/docs/", "/admin/login/"]
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Assets(HTMLParser):
    """Collects the URLs of the scripts, style sheets and icons a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"])
        elif tag == "link" and values.get("rel") in ("stylesheet", "icon"):
            self.urls.append(values["href"])
        elif tag == "img" and values.get("src"):
            self.urls.append(values["src"])


def fetch(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET base+path as the proxy would; returns status, headers and body."""
    request = urllib.request.Request(base + path, headers=PROXY_HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_up(base: str, seconds: float) -> None:
    """Waits for the server to answer its first page; exits if it does not in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fetch(base, PAGES[0])
            return
        except (URLError, ConnectionError):
            if time.monotonic() > deadline:
                sys.exit(f"FAIL: {base} did not answer within {seconds:.0f} s")
            time.sleep(0.5)


def check_pages(base: str) -> list[str]:
    """Every page and asset answers 200, pages have a CSP; returns the problems found."""
    problems = []
    for page in PAGES:
        status, headers, body = fetch(base, page)
        print(f"{status} {page}")
        if status != 200:
            problems.append(f"{page} answered {status}")
            continue
        if "Content-Security-Policy" not in headers:
            problems.append(f"{page} has no Content-Security-Policy header")
        parser = Assets()
        parser.feed(body.decode())
        if not parser.urls:
            problems.append(f"{page} references no assets")
        for url in parser.urls:
            if not url.startswith("/") or url.startswith("//"):
                problems.append(f"{page} loads {url} from another site")
                continue
            asset_status, _, content = fetch(base, url)
            print(f"  {asset_status} {url} ({len(content):,} bytes)")
            if asset_status != 200:
                problems.append(f"{url} (on {page}) answered {asset_status}")
    return problems


def check_in_chromium(base: str, screenshot: Path) -> list[str]:
    """Opens each page in Chromium; returns its console's CSP violations. Saves a screenshot."""
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(base_url=base, extra_http_headers=PROXY_HEADERS)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        for explorer_page in EXPLORER_PAGES:
            page.goto(explorer_page, wait_until="networkidle")
        page.goto("/api/v1/docs/")
        # Swagger UI has read the schema and drawn the operations.
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        page.goto("/admin/login/", wait_until="networkidle")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"Screenshot of the login page: {screenshot}")
        browser.close()
    return violations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="The server's address, e.g. http://127.0.0.1:8000")
    parser.add_argument("--screenshot", type=Path, required=True)
    parser.add_argument(
        "--wait", type=float, default=0, help="Seconds to wait for the server to start."
    )
    args = parser.parse_args()
    base = args.base.rstrip("/")
    wait_until_up(base, args.wait)
    problems = check_pages(base) + check_in_chromium(base, args.screenshot)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
