"""A run of account ids that a recompute reads, computes and writes together."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

CHUNK_ACCOUNTS = 100_000  # a recompute's pass: one read and one write per table for this many
FEW_ACCOUNTS = 20  # below this, rows come through the ORM rather than the CSV round trip
IN_LIST_MOST = 10_000  # the longest IN list a chunk of chosen accounts is read with


@dataclass(frozen=True)
class Chunk:
    """A run of account ids in ascending order. `whole` when they are every account of the
    tenant between the first and the last, so that a range alone selects them."""

    ids: list[int]
    whole: bool = False

    @classmethod
    def of(cls, ids: Iterable[int]) -> "Chunk":
        """Some accounts, chosen by id (one account's page, a submission's few)."""
        return cls(sorted(ids), whole=False)

    @property
    def few(self) -> bool:
        """A handful of accounts (a submission's): their rows are read without the CSV round
        trip, whose fixed cost outweighs its speed below a few hundred rows."""
        return len(self.ids) <= FEW_ACCOUNTS

    def where(self, field: str = "account_id") -> Q:
        bounds = Q(**{f"{field}__gte": self.ids[0], f"{field}__lte": self.ids[-1]})
        return bounds if self.whole else bounds & Q(**{f"{field}__in": self.ids})
