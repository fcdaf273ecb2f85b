"""The WSGI entry point: ``gunicorn 'api.wsgi:app'``.

Event streams hold a connection open, so run threaded workers (``--worker-class gthread --threads 16``) rather
than the default sync workers, which would serve one stream at a time.
"""

from api.app import create_app
from worker.logging import configure_logging
from worker.settings import get_settings

settings = get_settings()
configure_logging(settings)
app = create_app(settings)
