from collections.abc import Iterator

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from core.spreadsheets import csv_text
from tenancy import feed
from tenancy.context import current_organization_id

from .hooks import cell_names, export_facts
from .models import Account, SavedView

EXPORT_COLUMNS = [
    "external_id",
    "name",
    "industry",
    "isic_code",
    "size_band",
    "region",
    "lifecycle_stage",
    "arr",
    "renewal_date",
    "csm_email",
]


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("owner_csm")


def account_changes(*, after: tuple[int, int] = (0, 0), limit: int = 100):
    """The accounts whose last change comes after the cursor position `after`, in commit
    order (tenancy.feed): each changed account once, as it stands. Off PostgreSQL there are no
    positions, so the last page's cursor starts over and a poller reads everything again:
    slower, but it misses nothing."""
    page, cursor, more = feed.page_after(
        account_list(), "change_position", after=after, limit=limit
    )
    if connection.vendor != "postgresql" and not more:
        cursor = feed.encode_cursor(0, 0)
    return page, cursor, more


# What the recompute derives, exported after the importable columns; an import of an export
# reads past them (importing.DERIVED_COLUMNS), so the file goes back in as it came out.
DERIVED_EXPORT = [
    ("chs", "chs"),
    ("chs_level", "chs_level"),
    ("chs_completeness", "chs_completeness"),
    ("chs_trend_30", "chs_trend_30"),
    ("cmi", "cmi"),
    ("cmi_tier", "cmi_tier"),
    ("cell", "segment"),
]
EXPORT_CHUNK = 2000


def account_export_rows(*, accounts: QuerySet[Account]) -> tuple[list[str], Iterator[list]]:
    """The export's header and rows: the columns the import reads, then the derived scores,
    the cell by name and what the apps above add (accounts.hooks.export_facts, e.g. the last
    assessment's date)."""
    names = cell_names_3x3()
    fields = [*EXPORT_COLUMNS[:-1], "owner_csm__email", *(f for _, f in DERIVED_EXPORT)]
    probe = export_facts(account_ids=[])
    extra = [column for facts in probe for column in facts]
    header = [*EXPORT_COLUMNS, *(c for c, _ in DERIVED_EXPORT), *extra]
    cell_at = len(EXPORT_COLUMNS) + [c for c, _ in DERIVED_EXPORT].index("cell")

    def rows() -> Iterator[list]:
        ids = list(accounts.values_list("pk", flat=True))
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = ids[start : start + EXPORT_CHUNK]
            facts = {k: v for found in export_facts(account_ids=chunk) for k, v in found.items()}
            by_id = {
                row[0]: row[1:] for row in accounts.filter(pk__in=chunk).values_list("pk", *fields)
            }
            for pk in chunk:
                row = list(by_id[pk])
                row[cell_at] = names.get(row[cell_at], "")
                yield [*row, *(facts[column].get(pk) for column in extra)]

    return header, rows()


def account_export_csv(*, accounts: QuerySet[Account]) -> str:
    """The same columns the import reads (so an export can be edited and imported back), then
    the derived scores."""
    header, rows = account_export_rows(accounts=accounts)
    return csv_text(header, rows)


def account_values_in_use(field: str) -> list[str]:
    """The distinct non-empty values of a field, for filter choices; cached for five minutes
    (a full scan at 100,000 accounts)."""
    key = f"accounts:values:{current_organization_id()}:{field}"
    values = cache.get(key)
    if values is None:
        rows = Account.objects.exclude(**{field: ""}).values_list(field, flat=True)
        values = list(rows.distinct().order_by(field))
        cache.set(key, values, 300)
    return values


def cell_names_3x3() -> dict[str, str]:
    """{cell key: name} of the tenant's 3×3 grid, as the grid names them."""
    (names,) = cell_names(layout="3x3")
    return names


def saved_views_for(user) -> list[SavedView]:
    """The views a member can open: their own, then those others shared, by name."""
    mine = SavedView.objects.filter(user=user)
    shared = SavedView.objects.filter(shared=True).exclude(user=user).select_related("user")
    return [*mine, *shared]
