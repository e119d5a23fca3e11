import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import QueryDict
from django.utils import timezone

from core.events import event_emitted
from tenancy.models import Membership, Organization, Role, User

from . import importing
from .filters import AccountBrowserFilter
from .hooks import account_deleting, csm_changed
from .jobs import job_progress_key, job_send
from .models import Account, AccountDeletion, ImportJob, Note, SavedView

IMPORT_CHUNK = 1000

logger = logging.getLogger(__name__)


@transaction.atomic
def account_create(*, organization: Organization, **fields) -> Account:
    account = Account(organization=organization, **fields)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_update(*, account: Account, **fields) -> Account:
    # The stored CSM, not the instance's: a bound form has already set its fields on it.
    stored = Account.objects.filter(pk=account.pk).values_list("owner_csm_id", flat=True)
    before = stored.first()
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save()
    csm_moves_announce([(account.pk, before, account.owner_csm_id)])
    return account


def csm_moves_announce(moves: list[tuple[int, int | None, int | None]]) -> None:
    """Tell the apps above which accounts changed CSM (accounts.hooks.csm_changed), and say
    so on each account's timeline, with what followed (the open tasks handed over); the
    moves that changed nothing are left out."""
    moved = [move for move in moves if move[1] != move[2]]
    if not moved:
        return
    followed: dict[int, list[str]] = {}
    for result in csm_changed(moves=moved):
        for account_id, said in (result or {}).items():
            followed.setdefault(account_id, []).append(said)
    people = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in={m[i] for m in moved for i in (1, 2)} - {None})
    }
    organization_id = Account.objects.filter(pk=moved[0][0]).values_list(
        "organization_id", flat=True
    )[0]
    Note.objects.bulk_create(
        Note(
            organization_id=organization_id,
            account_id=account_id,
            kind=Note.Kind.REASSIGNED,
            body=" ".join(
                [
                    f"CSM changed from {people.get(old, 'no one')} to {people.get(new, 'no one')}.",
                    *followed.get(account_id, []),
                ]
            ),
        )
        for account_id, old, new in moved
    )


def _csm_of(fields: dict[str, Any], default: int | None) -> int | None:
    """The CSM id a write's validated fields set (a user, an id or None), or `default`."""
    for name in ("owner_csm", "owner_csm_id"):
        if name in fields:
            value = fields[name]
            return getattr(value, "pk", value)
    return default


@transaction.atomic
def account_delete(*, account: Account) -> None:
    """Delete the account, leave its tombstone (polling integrations see it go), hand the
    apps above what should outlive it (account_deleting) and announce `account.deleted`
    (webhooks)."""
    tombstone = AccountDeletion.objects.create(
        organization_id=account.organization_id,
        account_id=account.pk,
        external_id=account.external_id,
        name=account.name,
    )
    account_deleting(account=account, tombstone=tombstone)
    account.delete()
    event_emitted(
        organization_id=account.organization_id,
        event="account.deleted",
        payloads=[
            {
                "account": tombstone.account_id,
                "external_id": tombstone.external_id,
                "name": tombstone.name,
                "deleted_at": tombstone.deleted_at,
            }
        ],
    )


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int
    ids: list[int]  # in the order of the changes


@transaction.atomic
def accounts_upsert(
    *, organization: Organization, changes: list[tuple[Account | None, dict[str, Any]]]
) -> Upserted:
    """Create (where the account is None) or update each account with its validated fields:
    a bulk upsert's write, once every item has passed, set-based. Items that set the same
    fields share one `INSERT … ON CONFLICT (organization, external_id) DO UPDATE` of those
    fields (so one statement for a usual request), which returns every id in order.

    The fields come validated, once, by the API's AccountBulkItem, a ModelSerializer that
    carries the model fields' own validators (a full_clean here ran the same ones again, a
    tenth of the request). What full_clean would query for is settled too: the organization
    is the caller's, the CSM was looked up among its members, and the caller matched each
    external_id to its account (the unique constraint stays the database's to enforce)."""
    ids: list[int | None] = [None] * len(changes)
    groups: dict[tuple[str, ...], list[int]] = {}
    rows = []
    for index, (_, fields) in enumerate(changes):
        rows.append(Account(organization=organization, **fields))
        groups.setdefault(tuple(sorted(fields)), []).append(index)
    for names, indexes in groups.items():
        written = Account.objects.bulk_create(
            [rows[i] for i in indexes],
            update_conflicts=True,
            unique_fields=["organization", "external_id"],
            update_fields=[n for n in names if n != "external_id"] + ["updated_at"],
        )
        for index, row in zip(indexes, written, strict=True):
            ids[index] = row.pk
    csm_moves_announce(
        [
            (account.pk, account.owner_csm_id, _csm_of(fields, account.owner_csm_id))
            for account, fields in changes
            if account is not None
        ]
    )
    created = sum(1 for account, _ in changes if account is None)
    return Upserted(created, len(changes) - created, [pk for pk in ids if pk is not None])


def csm_ids_by_email() -> dict[str, int]:
    """Members who may own accounts, in the active organization."""
    members = Membership.objects.exclude(role=Role.VIEWER).values_list("user__email", "user_id")
    return {email.lower(): user_id for email, user_id in members}


@transaction.atomic
def import_job_create(
    *,
    organization: Organization,
    filename: str,
    content: str,
    mode: str,
    by,
    kind: str = ImportJob.Kind.ACCOUNTS,
) -> ImportJob:
    """Store an upload and send its kind's task (jobs.IMPORT_TASKS) after commit."""
    job = ImportJob.objects.create(
        organization=organization,
        kind=kind,
        filename=filename,
        content=content,
        mode=mode,
        created_by=by,
    )
    job_send(job)
    return job


def import_progress(job: ImportJob, done: int, total: int) -> None:
    cache.set(job_progress_key(job), {"done": done, "total": total}, timeout=3600)


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
        owners = {
            external_id: (pk, owner)
            for external_id, pk, owner in Account.objects.filter(external_id__in=ids).values_list(
                "external_id", "pk", "owner_csm_id"
            )
        }
        existing = set(owners)
        Account.objects.bulk_create(
            [Account(organization_id=job.organization_id, **record) for record in chunk],
            update_conflicts=True,
            unique_fields=["organization", "external_id"],
            update_fields=[*fields, "updated_at"],
        )
        if "owner_csm_id" in fields:
            csm_moves_announce(
                [
                    (*owners[record["external_id"]], record["owner_csm_id"])
                    for record in chunk
                    if record["external_id"] in owners
                ]
            )
        updated += len(existing)
        created += len(chunk) - len(existing)
        import_progress(job, start + len(chunk), len(records))
    job.created_count, job.updated_count = created, updated
    return import_job_finish(job, ImportJob.Status.DONE, errors=report)


def rows_import_run(
    job: ImportJob,
    *,
    read: Callable[[str], Any],
    items_of: Callable[[Any], list[dict]],
    validate: Callable[[list[dict]], tuple[list, dict[int, dict[str, str]]]],
    record: Callable[[list], object],
) -> ImportJob:
    """A CSV whose rows are checked as API items: `read` the file (a FileError rejects it
    whole), turn its rows into items, `validate` them (the API's own check), report every
    bad line, and `record` the good ones unless the job is all or nothing and one is bad."""
    if job.is_finished:
        return job
    try:
        frame = read(job.content)
    except importing.FileError as error:
        return import_job_finish(
            job, ImportJob.Status.REJECTED, errors=[{"line": None, "message": str(error)}]
        )
    rows, errors = validate(items_of(frame))
    lines = list(frame.index)
    report = [
        {
            "line": int(lines[position]),
            "column": column,
            "value": str(
                frame.iloc[position].get("external_id" if column == "account" else column, "")
            ),
            "message": message,
        }
        for position, problems in sorted(errors.items())
        for column, message in problems.items()
    ]
    job.total_rows = len(frame)
    if errors and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        return import_job_finish(job, ImportJob.Status.REJECTED, errors=report)
    record(rows)
    job.created_count = len(rows)
    return import_job_finish(job, ImportJob.Status.DONE, errors=report)


def import_job_finish(job: ImportJob, status: str, *, errors: list[dict]) -> ImportJob:
    job.status = status
    job.errors = errors
    job.finished_at = timezone.now()
    job.save()
    return job


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_members(body: str) -> list[int]:
    """The members a note mentions, in order: @bob@alpha.test by email, or @bob by the part
    of an email before the @ where only one member's email starts so."""
    members = list(Membership.objects.values_list("user_id", "user__email"))
    by_email = {email.lower(): user_id for user_id, email in members}
    by_local: dict[str, list[int]] = {}
    for user_id, email in members:
        by_local.setdefault(email.lower().split("@")[0], []).append(user_id)
    found: list[int] = []
    for name in MENTION.findall(body):
        name = name.lower().rstrip(".")
        match = by_email.get(name)
        if match is None and len(by_local.get(name, [])) == 1:
            match = by_local[name][0]
        if match is not None and match not in found:
            found.append(match)
    return found


@transaction.atomic
def note_create(*, account: Account, body: str, author: User | None) -> Note:
    """A team note on the account's timeline; each member it @mentions gets an email after
    commit (a mail outage loses no note)."""
    note = Note(
        organization_id=account.organization_id,
        account=account,
        author=author,
        body=body.strip(),
        mentions=mentioned_members(body),
    )
    note.full_clean()
    note.save()
    if note.mentions:
        transaction.on_commit(lambda: _mentions_notify(note))
    return note


def _mentions_notify(note: Note) -> None:
    recipients = list(
        User.objects.filter(pk__in=note.mentions)
        .exclude(pk=note.author_id)
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    link = f"{settings.SITE_URL}/accounts/{note.account_id}/#timeline"
    who = str(note.author) if note.author else "Someone"
    try:
        send_mail(
            f"{who} mentioned you on {note.account.name}",
            f"{who} wrote on {note.account.name}:\n\n{note.body}\n\n{link}\n",
            None,
            recipients,
        )
    except OSError:
        logger.exception("mention email for note %s not sent", note.pk)


def saved_view_save(*, user: User, organization: Organization, name: str, query: str, shared: bool):
    """Save (or replace, by name) the user's view of the account list. The query keeps only
    what the list's filter reads, without the page."""
    asked = QueryDict(query, mutable=True)
    asked.pop("page", None)
    known = set(AccountBrowserFilter.base_filters)
    kept = QueryDict(mutable=True)
    for key in asked:
        if key in known:
            kept.setlist(key, [value for value in asked.getlist(key) if value != ""])
    view, _ = SavedView.objects.update_or_create(
        organization=organization,
        user=user,
        name=name.strip(),
        defaults={"query": kept.urlencode(), "shared": shared},
    )
    return view


@transaction.atomic
def accounts_reassign(*, accounts: "models.QuerySet[Account]", csm: User | None) -> int:
    """Give these accounts to one CSM in one statement; their open tasks follow and each
    account's timeline says so (csm_moves_announce). Returns how many changed hands."""
    before = list(accounts.exclude(owner_csm=csm).values_list("pk", "owner_csm_id"))
    if not before:
        return 0
    new = csm.pk if csm else None
    Account.objects.filter(pk__in=[pk for pk, _ in before]).update(
        owner_csm_id=new, updated_at=timezone.now()
    )
    csm_moves_announce([(pk, old, new) for pk, old in before])
    return len(before)


UPLOAD_KEPT_SECONDS = 3600


def _upload_key(organization: Organization, token: str) -> str:
    return f"accounts:upload:{organization.pk}:{token}"


def import_upload_keep(
    *, organization: Organization, filename: str, content: str, kind: str = ImportJob.Kind.ACCOUNTS
) -> str:
    """Keep an upload for the mapping step (an hour, in the cache); its token."""
    token = secrets.token_urlsafe(16)
    cache.set(
        _upload_key(organization, token),
        {"filename": filename, "content": content, "kind": kind},
        UPLOAD_KEPT_SECONDS,
    )
    return token


def import_upload_read(*, organization: Organization, token: str) -> dict | None:
    return cache.get(_upload_key(organization, token))


def import_upload_forget(*, organization: Organization, token: str) -> None:
    cache.delete(_upload_key(organization, token))


def owner_emails_by_name() -> dict[str, str]:
    """Members who may own accounts, lowercased full name → email, where the name is one
    member's only (an ambiguous name maps to no one, and its rows are reported)."""
    members = Membership.objects.exclude(role=Role.VIEWER).select_related("user")
    names: dict[str, list[str]] = {}
    for membership in members:
        name = membership.user.get_full_name().strip().lower()
        if name:
            names.setdefault(name, []).append(membership.user.email)
    return {name: emails[0] for name, emails in names.items() if len(emails) == 1}
