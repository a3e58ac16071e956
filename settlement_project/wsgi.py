"""WSGI entry point (gunicorn settlement_project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settlement_project.settings")
application = get_wsgi_application()

from utils.wsgi import chunked_bodies  # noqa: E402 (needs the settings configured above)

application = chunked_bodies(application)
