"""The mapping step every CSV import shares (accounts, health metrics, renewal outcomes,
assessment history): a file whose columns are not Ascend's own goes to a page that shows its
columns beside the import's fields, guesses which holds which (from the shipped CRM presets,
the organization's saved ones and the column names), and lets the member change it. The
mapped file is then read by the import's own reader, as if it had been written so.

Each import describes itself as an ImportMapping, offered through accounts.hooks.
import_mappings by the app that owns it.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.shortcuts import redirect, render
from django.urls import reverse

from tenancy.models import Organization, User

from .hooks import import_mappings
from .importing import (
    DERIVED_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    FileError,
    csv_frame,
    header_of,
    read_accounts_csv,
)
from .models import ImportJob, MappingPreset
from .services import import_job_create, import_upload_keep, owner_emails_by_name


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class ImportMapping:
    """An import as the mapping step sees it. `fields()` may depend on the tenant (an
    assessment's factor keys); `read` is the import's own check of a file; `convert` turns
    mapped text into what `read` takes (money as CRMs write it, owners by name); `known` are
    columns an Ascend file may carry that are not imported (an export's scores)."""

    kind: str
    title: str
    upload_url: str
    fields: Callable[[], list[Field]]
    read: Callable[[str], Any]
    presets: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    convert: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    known: tuple[str, ...] = ()


def mapping_of(kind: str) -> ImportMapping:
    return {mapping.kind: mapping for mapping in import_mappings()}[kind]


def _normal(column: str) -> str:
    return "".join(ch for ch in column.lower() if ch.isalnum())


def needs_mapping(columns: Sequence[str], mapping: ImportMapping) -> bool:
    """Whether the file has a column that is not Ascend's own for this import (a file of
    Ascend's own columns is read as it is, and told what it lacks)."""
    own = {f.key for f in mapping.fields()} | set(mapping.known)
    return not {str(c).strip().lower().replace(" ", "_") for c in columns} <= own


def mapping_guess(
    columns: Sequence[str], mapping: ImportMapping, preset: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Field → the file's column: the preset's ({column: field}) where it names a column the
    file has (with none chosen, the first shipped preset that fits), then same-named columns."""
    by_normal = {_normal(c): c for c in columns}
    tables = [preset] if preset is not None else [t for _, t in mapping.presets.values()]
    guess: dict[str, str] = {}
    for table in tables:
        for column, key in table.items():
            if _normal(column) in by_normal and key not in guess:
                guess[key] = by_normal[_normal(column)]
        if guess:
            break
    for each in mapping.fields():
        if each.key not in guess and _normal(each.key) in by_normal:
            guess[each.key] = by_normal[_normal(each.key)]
    return guess


def mapped_csv(raw: bytes | str, mapping: ImportMapping, chosen: Mapping[str, str]) -> str:
    """The file rewritten with the import's columns, every row kept (so its line numbers are
    the file's), for the import's reader."""
    frame = csv_frame(raw)
    out = pd.DataFrame(index=frame.index)
    for each in mapping.fields():
        if column := chosen.get(each.key):
            out[each.key] = frame[column].astype(str)
    if mapping.convert is not None:
        out = mapping.convert(out)
    return out.to_csv(index=False)


def money(values: pd.Series) -> pd.Series:
    """ "$1,200,000.00" as CRMs export it, as digits."""
    return values.str.replace(r"[^\d.-]", "", regex=True)


# Presets: shipped ones by key, the organization's saved ones as "saved-<id>".


def presets_offered(mapping: ImportMapping) -> dict[str, str]:
    saved = MappingPreset.objects.filter(kind=mapping.kind).order_by("name")
    return {
        **{key: name for key, (name, _) in mapping.presets.items()},
        **{f"saved-{p.pk}": f"{p.name} (saved)" for p in saved},
    }


def preset_table(mapping: ImportMapping, key: str) -> Mapping[str, str] | None:
    """A preset as {column: field}; None when `key` names none."""
    if key in mapping.presets:
        return mapping.presets[key][1]
    if key.startswith("saved-") and key[6:].isdigit():
        saved = MappingPreset.objects.filter(kind=mapping.kind, pk=int(key[6:])).first()
        if saved is not None:
            return {column: field for field, column in saved.mapping.items()}
    return None


def mapping_preset_save(
    *, organization: Organization, kind: str, name: str, chosen: Mapping[str, str], by: User
) -> MappingPreset:
    """Keep a mapping under a name for the organization; the same name again replaces it."""
    preset, _ = MappingPreset.objects.update_or_create(
        organization=organization,
        kind=kind,
        name=name,
        defaults={"mapping": dict(chosen), "created_by": by},
    )
    return preset


def import_upload_accept(
    *, organization: Organization, kind: str, filename: str, content: str, mode: str, by: User
) -> str:
    """Where an upload goes next: the mapping step when its columns are not Ascend's, else
    its import job's page. A file its import cannot read raises importing.FileError."""
    mapping = mapping_of(kind)
    if needs_mapping(header_of(content), mapping):
        token = import_upload_keep(
            organization=organization, filename=filename, content=content, kind=kind
        )
        return reverse("accounts:import_map", args=[token])
    mapping.read(content)
    job = import_job_create(
        organization=organization,
        kind=kind,
        filename=filename,
        content=content,
        mode=mode,
        by=by,
    )
    return reverse("accounts:import_detail", args=[job.pk])


def upload_page(request, *, kind: str, form_class: type, template: str, context=None):
    """Every import's upload page: a readable CSV goes on (import_upload_accept), and what
    its import cannot read is shown beside the file field, the rest of the form kept."""
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(
                import_upload_accept(
                    organization=request.organization,
                    kind=kind,
                    filename=form.cleaned_data["file"].name,
                    content=form.content,
                    mode=form.cleaned_data["mode"],
                    by=request.user,
                )
            )
        except FileError as error:
            form.add_error("file", str(error))
    return render(request, template, {"form": form, **(context or {})})


# The accounts import's own description.

ACCOUNT_LABELS = {
    "external_id": "CRM id (external_id)",
    "name": "Name",
    "industry": "Industry",
    "isic_code": "ISIC code",
    "size_band": "Size band",
    "region": "Region",
    "lifecycle_stage": "Lifecycle stage",
    "arr": "ARR",
    "renewal_date": "Renewal date",
    "csm_email": "CSM (email, or a member's full name)",
}
ACCOUNT_PRESETS = {
    "salesforce": (
        "Salesforce Accounts",
        {
            "Account ID": "external_id",
            "Account Name": "name",
            "Industry": "industry",
            "Annual Revenue": "arr",
            "Billing Country": "region",
            "Account Owner": "csm_email",
        },
    ),
    "hubspot": (
        "HubSpot Companies",
        {
            "Record ID": "external_id",
            "Company name": "name",
            "Industry": "industry",
            "Annual Revenue": "arr",
            "Country/Region": "region",
            "Company owner": "csm_email",
        },
    ),
}


def _accounts_convert(out: pd.DataFrame) -> pd.DataFrame:
    """An owner given by name becomes that member's email where the name is one member's
    only; otherwise it stays as written, and its row is reported as an unknown CSM."""
    if "csm_email" in out:
        owners = owner_emails_by_name()
        out["csm_email"] = [
            owners.get(value.strip().lower(), value.strip()) if "@" not in value else value
            for value in out["csm_email"]
        ]
    if "arr" in out:
        out["arr"] = money(out["arr"])
    return out


def accounts_mapping() -> ImportMapping:
    return ImportMapping(
        kind=ImportJob.Kind.ACCOUNTS,
        title="accounts",
        upload_url="accounts:import",
        fields=lambda: [
            Field(key, ACCOUNT_LABELS[key], key in REQUIRED_COLUMNS)
            for key in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        ],
        read=read_accounts_csv,
        presets=ACCOUNT_PRESETS,
        convert=_accounts_convert,
        known=DERIVED_COLUMNS,
    )
