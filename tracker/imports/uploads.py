"""Uploaded files kept on the server between the preview and the confirmation.

The admin's preview page carries only a token; the file itself and the
versions the preview showed stay in a private folder (setting
``IMPORT_UPLOAD_DIR``, default a ``sinorus-imports`` folder in the system's
temporary folder), readable back only by the user who uploaded it. Files
older than ``MAX_AGE`` are removed whenever another is kept.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

#: Seconds a kept upload may wait for its confirmation.
MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class KeptUpload:
    """An upload waiting for its confirmation."""

    token: str
    name: str
    data: bytes
    #: The record versions its preview showed (``Plan.versions``).
    versions: dict[str, str]


def _folder() -> Path:
    configured = getattr(settings, "IMPORT_UPLOAD_DIR", None)
    folder = Path(configured) if configured else Path(tempfile.gettempdir()) / "sinorus-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def keep(user, name: str, data: bytes, versions: dict[str, str]) -> str:
    """Keep ``data`` for ``user``'s confirmation; the token that names it."""
    folder = _folder()
    _remove_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    meta = {"user": user.pk, "name": name, "versions": versions}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def load(user, token: str) -> KeptUpload | None:
    """The upload ``token`` names, if ``user`` made it and it is still kept."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user") != user.pk:
        return None
    return KeptUpload(token, meta["name"], data, meta.get("versions") or {})


def discard(token: str) -> None:
    """Forget the upload ``token`` names (once applied)."""
    if not _TOKEN.match(token or ""):
        return
    for suffix in (".data", ".json"):
        (_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def _remove_old(folder: Path) -> None:
    limit = time.time() - MAX_AGE
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
