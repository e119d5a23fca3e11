from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.frames import frame_read, frame_update
from tenancy.models import Membership, Organization, Role

from . import importing
from .models import Account, ImportJob

IMPORT_CHUNK = 1000
FEW_ACCOUNTS = 20


def accounts_write(rows: pd.DataFrame) -> int:
    """Set the columns of `rows` (indexed by account id) on those accounts, in one statement."""
    return frame_update(Account, rows)


@transaction.atomic
def account_create(*, organization: Organization, **fields) -> Account:
    account = Account(organization=organization, **fields)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_update(*, account: Account, **fields) -> Account:
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_delete(*, account: Account) -> None:
    account.delete()


def csm_ids_by_email() -> dict[str, int]:
    """Members who may own accounts, in the active organization."""
    members = Membership.objects.exclude(role=Role.VIEWER).values_list("user__email", "user_id")
    return {email.lower(): user_id for email, user_id in members}


@transaction.atomic
def import_job_create(
    *, organization: Organization, filename: str, content: str, mode: str, by
) -> ImportJob:
    from .tasks import import_accounts

    job = ImportJob.objects.create(
        organization=organization, filename=filename, content=content, mode=mode, created_by=by
    )
    import_accounts.delay_on_commit(str(organization.id), job.id)
    return job


def import_progress_key(job_id: int) -> str:
    return f"accounts:import:{job_id}:progress"


def import_progress(job: ImportJob, done: int, total: int) -> None:
    cache.set(import_progress_key(job.id), {"done": done, "total": total}, timeout=3600)


@transaction.atomic
def import_job_run(*, job: ImportJob) -> ImportJob:
    """Validate every row, then upsert by external_id in one transaction: all or nothing,
    unless the job asked to import the good rows."""
    if job.is_finished:
        return job  # a redelivered task must not import twice
    try:
        frame = importing.read_accounts_csv(job.content)
    except importing.FileError as error:
        return import_job_finish(
            job, ImportJob.Status.REJECTED, errors=[{"line": None, "message": str(error)}]
        )
    records, errors = importing.validate_accounts(frame, csm_ids_by_email=csm_ids_by_email())
    job.total_rows = len(frame)
    report = [error.as_dict() for error in errors]
    if errors and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        return import_job_finish(job, ImportJob.Status.REJECTED, errors=report)

    fields = importing.imported_fields(frame)
    created = updated = 0
    for start in range(0, len(records), IMPORT_CHUNK):
        chunk = records[start : start + IMPORT_CHUNK]
        ids = [record["external_id"] for record in chunk]
        existing = set(
            Account.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
        )
        Account.objects.bulk_create(
            [Account(organization_id=job.organization_id, **record) for record in chunk],
            update_conflicts=True,
            unique_fields=["organization", "external_id"],
            update_fields=[*fields, "updated_at"],
        )
        updated += len(existing)
        created += len(chunk) - len(existing)
        import_progress(job, start + len(chunk), len(records))
    job.created_count, job.updated_count = created, updated
    return import_job_finish(job, ImportJob.Status.DONE, errors=report)


def import_job_finish(job: ImportJob, status: str, *, errors: list[dict]) -> ImportJob:
    job.status = status
    job.errors = errors
    job.finished_at = timezone.now()
    job.save()
    return job


@dataclass(frozen=True)
class Chunk:
    """A run of account ids in ascending order. `whole` when they are every account of the
    tenant between the first and the last, so that a range alone selects them."""

    ids: list[int]
    whole: bool

    @property
    def few(self) -> bool:
        """A handful of accounts (a submission's): their rows are read without the CSV round
        trip, whose fixed cost outweighs its speed below a few hundred rows."""
        return len(self.ids) <= FEW_ACCOUNTS

    def where(self, field: str = "account_id") -> Q:
        bounds = Q(**{f"{field}__gte": self.ids[0], f"{field}__lte": self.ids[-1]})
        return bounds if self.whole else bounds & Q(**{f"{field}__in": self.ids})


def account_chunks(
    accounts: QuerySet[Account] | None, size: int, *, between: tuple[int, int] | None = None
) -> list[Chunk]:
    """The accounts (all of the tenant's when None, or those with ids `between` two bounds,
    inclusive) in chunks of `size`, in id order."""
    whole = accounts is None
    source = Account.objects.all() if whole else accounts
    if between is not None:
        source = source.filter(pk__gte=between[0], pk__lte=between[1])
    ids = list(source.order_by("pk").values_list("pk", flat=True))
    size = size if whole else min(size, 10_000)  # an IN list of at most 10,000
    return [Chunk(ids[start : start + size], whole=whole) for start in range(0, len(ids), size)]


def account_ranges(size: int) -> list[tuple[int, int]]:
    """The tenant's accounts as ranges of ids (first, last) of `size` accounts each, in order:
    the parts a tenant-wide recompute is split into."""
    ids = Account.objects.order_by("pk").values_list("pk", flat=True)
    if connection.vendor == "postgresql":  # every size-th id, numbered in the database
        sql, params = ids.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT min(id), max(id) FROM (
                        SELECT q.id, (row_number() OVER (ORDER BY q.id) - 1) / %s AS part
                        FROM ({sql}) AS q(id)
                    ) AS numbered GROUP BY part ORDER BY part""",
                [size, *params],
            )
            return [(low, high) for low, high in cursor.fetchall()]
    ids = list(ids)
    return [(ids[at], ids[min(at + size, len(ids)) - 1]) for at in range(0, len(ids), size)]


def accounts_locked(chunk: Chunk, fields: list[str], text: list[str]) -> pd.DataFrame:
    """Lock the chunk's account rows and return the stored values of `fields`, indexed by
    account id, in one statement.

    The rows are locked in id order, so concurrent recomputes cannot deadlock, and before any
    input is read: a recompute that started earlier can then never overwrite a later one.
    """
    kinds = {f: Account._meta.get_field(f).get_internal_type() for f in fields}
    rows = Account.objects.filter(chunk.where("pk")).order_by("pk").select_for_update()
    return (
        frame_read(
            rows.values_list("pk", *fields),
            columns=["account", *fields],
            text=text,
            datetimes=[f for f, kind in kinds.items() if kind == "DateTimeField"],
            few=chunk.few,
            dtypes={"account": "int64"}
            | {f: "object" for f, kind in kinds.items() if kind == "CharField" and f not in text}
            | {f: "bool" for f, kind in kinds.items() if kind == "BooleanField"},
        )
        .set_index("account")
        .reindex(chunk.ids)
    )


def values_same(old: pd.Series, new: pd.Series) -> pd.Series:
    """Equal floats, NaN equal to NaN."""
    old, new = old.astype(float), new.astype(float)
    return (old.isna() & new.isna()) | np.isclose(old, new, rtol=0, atol=1e-9)
