"""WSGI entry point (gunicorn sinorus.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings")

application = get_wsgi_application()
