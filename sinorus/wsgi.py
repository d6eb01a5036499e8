"""WSGI entry point (gunicorn sinorus.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from sinorus.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings")

# Chunked request bodies are read, with their size limit (sinorus/chunked.py).
application = ChunkedBodies(get_wsgi_application())
