import csv
import io

from django.core.cache import cache
from django.db.models import QuerySet

from core.spreadsheets import cell_safe
from tenancy.context import current_organization_id

from .hooks import cell_names
from .models import Account

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


def account_export_csv(*, accounts: QuerySet[Account]) -> str:
    """The same columns the import reads, so an export can be edited and imported back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    rows = accounts.values_list(*EXPORT_COLUMNS[:-1], "owner_csm__email")
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(["" if value is None else cell_safe(value) for value in row])
    return buffer.getvalue()


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
