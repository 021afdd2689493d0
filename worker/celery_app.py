"""Celery entry point (Flask's "make_celery"): `celery -A worker.celery_app worker`."""

from shopapp import create_app
from worker.beat import configure_beat

flask_app = create_app()
celery_app = configure_beat(flask_app.extensions["celery"])
