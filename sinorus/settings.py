"""Settings for the Sino-Russian military cooperation tracker.

Everything that differs between a laptop and production comes from the
environment (or a git-ignored ``.env`` file beside ``manage.py``):

``DEBUG``          ``true`` only on a developer's machine; defaults to off.
``SECRET_KEY``     required whenever DEBUG is off.
``ALLOWED_HOSTS``  comma-separated host names.
``DATABASE_URL``   e.g. ``postgres://user:pass@host:5432/sinorus``;
                   defaults to a SQLite file in the project folder.
``DATABASE_REPLICA_URLS``  comma-separated PostgreSQL streaming standbys of
                   that database, for reads (docs/replicas.md); none by default.
``ENV_FILE``       the settings file read at start-up (default ``.env`` beside
                   ``manage.py``); empty to read none.
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file's.
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

# ------------------------------------------------------------------------------
# CORE
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or in .env); "
            "only a DEBUG=true development setup may run without one."
        )
    # Development only: a fixed key is harmless when nothing is public.
    SECRET_KEY = "django-insecure-development-key-for-local-use-only"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "sinorus.urls"
WSGI_APPLICATION = "sinorus.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_countries",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "reversion",
    "axes",
    "tracker",
    "explorer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions and the rest are set up.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view reads the query string: NUL characters are refused with 400.
    "tracker.http.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lock-out answer.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# DATABASE
# ------------------------------------------------------------------------------
# SQLite's options for concurrent editors are in LIMITS AND SHARED STATE below.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env.int("CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}

# Repeated read queries of list pages are prepared on PostgreSQL (tracker/prepared.py);
# false for a pooler that moves a client between server connections (PgBouncer in
# transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)

# PostgreSQL's JIT compilation pays off in long analytical queries, not in a page's
# reads: once a plan's cost passes jit_above_cost (searches at a million statements),
# generating its code took 2.5-3.3 ms even for the EXPLAIN of a search's plan check,
# and a server process's first compilation about 30 ms. Off for the tracker's
# connections, as a startup option (no round trip). A pooler may refuse it (PgBouncer
# 1.20 and later, unless `jit` is in its ignore_startup_parameters, and then it drops
# it): there DATABASE_JIT=true, and JIT off on the server for the role the pooler
# connects as (ALTER ROLE ... SET jit = off, or ALTER DATABASE), then reconnect the
# pooler. It is the default where prepared statements are off, which says that a
# pooler stands in between.
DATABASE_JIT = env.bool("DATABASE_JIT", default=not DATABASE_PREPARED_STATEMENTS)


def without_jit(database: dict) -> dict:
    """``database`` (a DATABASES entry) with JIT off for its PostgreSQL connections,
    unless DATABASE_JIT, or options of its own that already set ``jit``."""
    engine = database["ENGINE"]
    if engine.endswith((".postgresql", ".postgis")) and not DATABASE_JIT:
        options = database.setdefault("OPTIONS", {})
        given = options.get("options", "")
        if not re.search(r"(?:^|\s)(?:-c\s*|--)jit\s*=", given, re.IGNORECASE):
            options["options"] = f"{given} -c jit=off".strip()
    return database


without_jit(DATABASES["default"])

# Read replicas (docs/replicas.md): PostgreSQL streaming standbys of DATABASE_URL, as
# aliases replica_1, replica_2, ... Anonymous and read-only requests read from one of
# them; writes, the admin and a client that wrote in the last
# DATABASE_READ_YOUR_WRITES_SECONDS use the primary. A replica more than
# DATABASE_REPLICA_MAX_LAG seconds behind, or unreachable, is skipped; its state is
# measured at most every DATABASE_REPLICA_CHECK_SECONDS per process. Keep the lag bound
# below the read-your-writes window, so that a writer's own change has reached every
# replica used once the window ends. With no replica nothing below is installed.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=5.0)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2.0)
DATABASE_READ_YOUR_WRITES_SECONDS = env.int("DATABASE_READ_YOUR_WRITES_SECONDS", default=15)
if DATABASE_REPLICA_URLS:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs PostgreSQL: DATABASE_URL must name the primary."
        )
    for number, url in enumerate(DATABASE_REPLICA_URLS, start=1):
        replica = dj_database_url.parse(
            url,
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        )
        # A replica that does not answer within this many seconds is skipped.
        replica.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
        )
        # The test database lives on the primary and replicates; tests/test_replicas.py
        # points the alias at the standby's copy.
        replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica_{number}"] = without_jit(replica)
    DATABASE_ROUTERS = ["tracker.routing.ReplicaRouter"]
    # Right after the static files (which read no database), before sessions and
    # authentication, so that every read of the request follows its choice.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "tracker.routing.ReadReplicaMiddleware",
    )

# ------------------------------------------------------------------------------
# FIXTURES
# ------------------------------------------------------------------------------
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# ------------------------------------------------------------------------------
# AUTHENTICATION
# ------------------------------------------------------------------------------
# django-axes first: it refuses logins from a locked-out username and address
# before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing: after AXES_FAILURE_LIMIT failed logins for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "tracker/locked_out.html"
# The lockout per address across usernames, and the client address both limits
# count, are in LIMITS AND SHARED STATE below.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# INTERNATIONALISATION
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# STATIC FILES
# ------------------------------------------------------------------------------
# `collectstatic` (run by scripts/serve) copies every app's files into STATIC_ROOT
# under content-hashed names, with gzip copies; whitenoise serves them from there
# with far-future caching. With DEBUG on, names stay plain and no collecting is needed.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# ------------------------------------------------------------------------------
# SECURITY
# ------------------------------------------------------------------------------
# Request bodies above this size are refused before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): every script, style, font, image and request
# comes from the tracker itself; nothing inline runs (the admin and the API docs load
# their scripts as files), and no page may be framed. ``data:`` images are the icons
# Swagger UI's style sheet embeds.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The explorer's pages are cached this many seconds for anonymous readers (any write
# to the tracker empties the cache at once; see docs/explorer.md).
EXPLORER_CACHE_SECONDS = env.int("EXPLORER_CACHE_SECONDS", default=600)

# ------------------------------------------------------------------------------
# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# ------------------------------------------------------------------------------
# REST FRAMEWORK AND OPENAPI
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Anyone may read; writing needs an account with the model permission.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"
    ],
    # Token first, so that an anonymous write is answered 401 with a challenge. Both
    # count failures per address (API_AUTH_FAILURE_LIMIT).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.authentication.LimitedTokenAuthentication",
        "tracker.api.authentication.LimitedSessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.TrackerAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON, written by orjson (tracker/api/renderers.py); the API's views name it too.
    "DEFAULT_RENDERER_CLASSES": [
        "tracker.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "tracker.api.exceptions.exception_handler",
}

# API paging: default rows per page and the cap on a client's page_size (over it: 400).
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
# Lists count matching rows exactly up to this many; above it (PostgreSQL) the count is the
# planner's estimate, since an exact COUNT(*) of a million rows costs more than the page.
API_EXACT_COUNT_LIMIT = env.int("API_EXACT_COUNT_LIMIT", default=10_000)
# Whether anonymous clients may read the API, and how often (DRF rate, e.g. 100/minute;
# empty for no limit).
API_ANONYMOUS_READ = env.bool("API_ANONYMOUS_READ", default=True)
API_ANON_THROTTLE_RATE = env.str("API_ANON_THROTTLE_RATE", default="100/minute") or None

# Four eyes: the editor who publishes a record must not be its last editor (docs/workflow.md).
REVIEW_REQUIRED = env.bool("REVIEW_REQUIRED", default=False)

SPECTACULAR_SETTINGS = {
    "TITLE": "Sino-Russian Military Cooperation Tracker API",
    "DESCRIPTION": "Cited records of agreements, exercises, arms deals and statements.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Requests name linked records by identifier; responses show summaries.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.api.schema.require_query_values",
    ],
}

# ------------------------------------------------------------------------------
# LIMITS AND SHARED STATE
# ------------------------------------------------------------------------------
# Throttles and failure limits count in the default cache, which every worker and
# every server must share: the database cache (the table below, created by
# `migrate`) unless CACHE_URL (or REDIS_URL) names a Redis server. `locmem://` keeps
# counts per process (the test settings use it; never use it with several workers).
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if not CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
            # Django's database cache deletes a third of its rows past MAX_ENTRIES;
            # one row per client address and limit, so keep room for many clients.
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=50_000)},
        }
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL must be redis://..., rediss://..., unix://... or locmem://, not {CACHE_URL!r}."
    )
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        raise ImproperlyConfigured(
            "CACHE_URL names Redis: install the client with `pip install redis`."
        ) from exc

# SQLite (the embedded default) with several editors at once: WAL lets readers go on
# while one writer writes; every transaction takes the write lock when it begins
# (IMMEDIATE), so two transactions never both read and then fail to upgrade; and a
# writer finding the lock held waits up to SQLITE_BUSY_SECONDS instead of failing
# with "database is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_SECONDS", default=20),
        }
    )

# The client's address, for every per-address limit (tracker.limits.client_address):
# REMOTE_ADDR, or with N trusted proxies in front the address the outermost proxy
# saw (the N-th entry from the right of X-Forwarded-For).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "tracker.limits.client_address"

# Failed API authentication (a wrong token): at most this many per address in this
# many seconds; then 429 with Retry-After, even for a right token, until the oldest
# counted failure is that old.
API_AUTH_FAILURE_LIMIT = env.int("API_AUTH_FAILURE_LIMIT", default=20)
API_AUTH_FAILURE_SECONDS = env.int("API_AUTH_FAILURE_SECONDS", default=300)

# Admin logins (django-axes, counted in the database): locked per username and
# address after AXES_FAILURE_LIMIT failures, and per address whatever the usernames
# after AXES_ADDRESS_FAILURE_LIMIT (tracker.logins.LoginLockoutHandler). Attempts
# during a lockout are refused without being counted, so they never prolong it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "tracker.logins.LoginLockoutHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
