"""The Celery worker: thin tasks that load by id, call one domain service and commit once."""
