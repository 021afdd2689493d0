"""Task modules; importing this package registers every task."""

from worker.tasks import (  # noqa: F401
    accounts,
    animations,
    association,
    housekeeping,
    notices,
    orders,
    payments,
    standing,
)
