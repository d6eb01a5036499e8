"""Settings for the test suite: production settings with test-only secrets.

The database still comes from ``DATABASE_URL``, so the same suite runs on
SQLite (the default) and on PostgreSQL.
"""

import os

# A developer's .env (DEBUG=true, a local database) must not change what the tests see.
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Counts in each process's memory, emptied before every test (tests/conftest.py); the
# tests that serve the tracker with gunicorn set CACHE_URL empty: the database cache.
os.environ.setdefault("CACHE_URL", "locmem://")

from .settings import *  # noqa: E402,F403

# Tests talk plain HTTP to the test client and the live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Plain static names: the tests never run collectstatic, and the hashed-name storage
# refuses to render a page whose files have no manifest entry.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# whitenoise serves the apps' files where they are, looked up per request.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Hashing cost is irrelevant in tests and dominates user creation.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
