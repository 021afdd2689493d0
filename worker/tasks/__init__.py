"""Task modules; importing this package registers every task."""

from worker.tasks import accounts, housekeeping  # noqa: F401
