"""Sending a task after the writing transaction commits, never failing the writer."""

import logging

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def task_send_on_commit(path: str, *args, countdown: float | None = None) -> None:
    """After commit, send the task at dotted `path` (by path: a service need not import the
    tasks module that imports it) with `args`. A broker that cannot be reached is logged, not
    raised: the row the task is for is already committed, and answering the request with an
    error would make its client send it again."""

    def send() -> None:
        try:
            import_string(path).apply_async(args=list(args), countdown=countdown, retry=False)
        except Exception:
            logger.warning("broker unreachable: %s%r not sent", path, args)

    transaction.on_commit(send)
