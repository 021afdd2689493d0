"""Celery entry point (Flask's "make_celery"): `celery -A worker.celery_app worker`."""

from celery.signals import worker_process_shutdown, worker_shutdown

from shopapp.app import create_app
from shopapp.core import mail
from worker.beat import configure_beat

flask_app = create_app()
celery_app = configure_beat(flask_app.extensions["celery"])


@worker_shutdown.connect
@worker_process_shutdown.connect
def _close_smtp_connections(**_: object) -> None:
    """Say goodbye to the SMTP server on the connection kept open across notices."""
    mail.close_connections()
