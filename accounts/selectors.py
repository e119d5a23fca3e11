import csv
import io

from django.db.models import QuerySet

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
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()
