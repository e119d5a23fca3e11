"""Structures derived from a few rows, kept per process under a key that changes with them."""

from collections.abc import Callable, Hashable


class Memo:
    """At most `size` values by key, the oldest dropped first.

    For what every recompute and submission re-reads and that rarely changes (a framework
    version's structure, a scorecard's card): keyed by the row's primary key and a timestamp
    its writers move on every change, so a changed row is simply a new key. Gunicorn and
    Celery prefork processes are single-threaded; a race would only build a value twice.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self.values: dict[Hashable, object] = {}

    def get(self, key: Hashable, build: Callable[[], object]):
        try:
            return self.values[key]
        except KeyError:
            value = build()
            if len(self.values) >= self.size:
                self.values.pop(next(iter(self.values)))
            self.values[key] = value
            return value
