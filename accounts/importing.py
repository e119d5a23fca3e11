"""Reading and checking an accounts CSV with pandas. Pure: no ORM, no writes.

Line numbers count the header as line 1, so the first account is on line 2.
"""

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from .models import LifecycleStage, SizeBand

REQUIRED_COLUMNS = ("external_id", "name")
OPTIONAL_COLUMNS = (
    "industry",
    "isic_code",
    "size_band",
    "region",
    "lifecycle_stage",
    "arr",
    "renewal_date",
    "csm_email",
)
# Columns an export adds after the importable ones (accounts.selectors.account_export_rows):
# derived by the recompute or reported by other apps, read past on import, never written.
DERIVED_COLUMNS = (
    "chs",
    "chs_level",
    "chs_completeness",
    "chs_trend_30",
    "cmi",
    "cmi_tier",
    "cell",
    "last_assessed",
)
MAX_LENGTHS = {"name": 200, "external_id": 100, "industry": 100, "region": 50}
MAX_ARR = 10**12


class FileError(ValueError):
    """The file as a whole cannot be read; no row is looked at."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def csv_frame(raw: bytes | str) -> pd.DataFrame:
    """An uploaded CSV as text columns, or a FileError saying why it cannot be read: not
    UTF-8, empty, not CSV, or holding a NUL byte (which no PostgreSQL text may contain; a
    spreadsheet saved in another format often does). Every importer reads through here."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileError(
                f"The file is not UTF-8 text (invalid byte at position {error.start}). "
                "Save it as “CSV UTF-8” and upload it again."
            ) from error
    if not raw.strip():
        raise FileError("The file is empty.")
    if "\x00" in raw:
        line = raw.count("\n", 0, raw.index("\x00")) + 1
        raise FileError(
            f"Line {line} holds a NUL byte, which text cannot contain: is it a CSV file? "
            "Save it as “CSV UTF-8” and upload it again."
        )
    try:
        return pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise FileError(f"The file is not valid CSV: {error}") from error


def columns_frame(
    raw: bytes | str, *, required: Sequence[str], optional: Sequence[str] = (), rows: str
) -> pd.DataFrame:
    """A CSV whose header names every `required` column and nothing beyond `optional`
    (absent optional columns are added empty), trimmed, indexed by the file's line numbers
    (the header is line 1); or a FileError. `rows` names what a row is, for the message."""
    frame = csv_frame(raw)
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FileError(f"Missing required column(s): {', '.join(missing)}.")
    allowed = [*required, *optional]
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise FileError(
            f"Unknown column(s): {', '.join(unknown)}. The columns are: {', '.join(allowed)}."
        )
    if frame.empty:
        raise FileError(f"The file has a header but no {rows}.")
    frame = frame.apply(lambda column: column.str.strip())
    frame.index = frame.index + 2
    return frame


def read_accounts_csv(raw: bytes | str) -> pd.DataFrame:
    frame = columns_frame(
        raw,
        required=REQUIRED_COLUMNS,
        optional=(*OPTIONAL_COLUMNS, *DERIVED_COLUMNS),
        rows="accounts",
    )
    return frame.drop(columns=list(DERIVED_COLUMNS), errors="ignore")


def _choice_errors(frame, column, choices) -> pd.Series:
    values = frame[column].str.lower()
    frame[column] = values
    return (values != "") & ~values.isin([value for value, _ in choices])


def validate_accounts(
    frame: pd.DataFrame, *, csm_ids_by_email: dict[str, int]
) -> tuple[list[dict], list[RowError]]:
    """Return the clean records (model field names) and an error per bad cell."""
    original, frame = frame, frame.copy()
    checks: list[tuple[str, pd.Series, str]] = []

    for column in REQUIRED_COLUMNS:
        checks.append((column, frame[column] == "", f"{column} is required."))
    for column, limit in MAX_LENGTHS.items():
        if column in frame:
            checks.append(
                (column, frame[column].str.len() > limit, f"Longer than {limit} characters.")
            )
    repeated = frame["external_id"].ne("") & frame["external_id"].duplicated(keep=False)
    checks.append(("external_id", repeated, "This external_id appears on more than one line."))

    if "arr" in frame:
        arr = pd.to_numeric(frame["arr"].str.replace(",", "", regex=False), errors="coerce")
        arr = arr.round(2)  # as stored: 999999999999.999 becomes 1e12, past numeric(14,2)
        bad = (frame["arr"] != "") & (arr.isna() | (arr < 0) | (arr >= MAX_ARR))
        checks.append(("arr", bad, "ARR must be a number from 0 to 999,999,999,999."))
        frame["arr"] = arr
    if "renewal_date" in frame:
        dates = pd.to_datetime(frame["renewal_date"], format="%Y-%m-%d", errors="coerce")
        bad = (frame["renewal_date"] != "") & dates.isna()
        checks.append(("renewal_date", bad, "Dates are written YYYY-MM-DD."))
        frame["renewal_date"] = dates
    if "isic_code" in frame:
        bad = (frame["isic_code"] != "") & ~frame["isic_code"].str.fullmatch(r"\d{4}")
        checks.append(("isic_code", bad, "An ISIC Rev.4 class is four digits, e.g. 4651."))
    if "size_band" in frame:
        allowed = ", ".join(SizeBand.values)
        bad = _choice_errors(frame, "size_band", SizeBand.choices)
        checks.append(("size_band", bad, f"size_band is one of: {allowed}."))
    if "lifecycle_stage" in frame:
        allowed = ", ".join(LifecycleStage.values)
        bad = _choice_errors(frame, "lifecycle_stage", LifecycleStage.choices)
        checks.append(("lifecycle_stage", bad, f"lifecycle_stage is one of: {allowed}."))
    if "csm_email" in frame:
        emails = frame["csm_email"].str.lower()
        bad = (emails != "") & ~emails.isin(list(csm_ids_by_email))
        checks.append(("csm_email", bad, "No CSM, manager or owner has this email here."))
        frame["owner_csm_id"] = emails.map(csm_ids_by_email)

    errors = [
        RowError(
            line=int(line),
            column=column,
            value=original.at[line, column] if column in original else "",
            message=msg,
        )
        for column, mask, msg in checks
        for line in frame.index[mask]
    ]
    errors.sort(key=lambda e: (e.line, e.column))
    bad_lines = {e.line for e in errors}
    clean = frame.loc[~frame.index.isin(bad_lines)]
    return [_record(row) for row in clean.to_dict("records")], errors


def _record(row: dict) -> dict:
    record: dict[str, object] = {}
    for column, value in row.items():
        if column == "csm_email":
            continue
        if column == "owner_csm_id":
            record[column] = None if pd.isna(value) else int(value)
        elif column == "renewal_date":
            record[column] = None if pd.isna(value) else value.date()
        elif column == "arr":
            record[column] = 0.0 if pd.isna(value) else round(float(value), 2)
        else:
            record[column] = value
    return record


def imported_fields(frame: pd.DataFrame) -> list[str]:
    """The model fields a file sets; an upsert leaves the other fields of existing rows alone."""
    return [
        "owner_csm_id" if column == "csm_email" else column
        for column in frame.columns
        if column != "external_id"
    ]


def header_of(raw: bytes | str) -> list[str]:
    """The file's columns, as written."""
    return [str(column) for column in csv_frame(raw).columns]


def template_csv() -> str:
    """A file to fill in: the header and one example row."""
    example = [
        "C-1001",
        "Acme Ltd",
        "IT wholesale",
        "4651",
        "mid",
        "EMEA",
        "adoption",
        "120000",
        "2027-03-31",
        "dana@example.com",
    ]
    return ",".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)) + "\n" + ",".join(example) + "\n"
