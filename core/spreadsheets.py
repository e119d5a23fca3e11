"""Cells written to CSV or Excel files that people open in a spreadsheet."""

# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…),
# =cmd|…, +1+1, @SUM(…)), and a tab or carriage return can hide one (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, written as text: a leading apostrophe,
    which spreadsheets show as nothing. Numbers, dates and other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
