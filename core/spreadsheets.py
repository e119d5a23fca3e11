"""Cells written to CSV or Excel files that people open in a spreadsheet."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…),
# =cmd|…, +1+1, @SUM(…)), and a tab or carriage return can hide one (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, written as text: a leading apostrophe,
    which spreadsheets show as nothing. Numbers, dates and other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: list[str], rows) -> str:
    """A CSV of these rows, every cell through cell_safe; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else cell_safe(value) for value in row])
    return buffer.getvalue()


def xlsx_workbook(sheets: list[tuple[str, list[str], list]]) -> bytes:
    """An Excel workbook of (title, header, rows) sheets. Text is typed as text, so a cell
    starting with = is shown, never run (openpyxl would store it as a formula); numbers and
    dates keep their types, so they sort and sum."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([None if value == "" else value for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
