"""The account export opens safely in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("https://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
]


def test_cells_a_spreadsheet_would_run_are_written_as_text(org_a, mike, client_for):
    for number, name in enumerate(FORMULAS):
        AccountFactory(organization=org_a, name=name, external_id=f"F-{number}", region="EMEA")
    AccountFactory(organization=org_a, name="Plain", external_id="P-1", arr=-5)
    response = client_for(mike).get(reverse("accounts:export"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    names = {row["external_id"]: row["name"] for row in rows}
    assert [names[f"F-{n}"] for n in range(len(FORMULAS))] == ["'" + f for f in FORMULAS]
    plain = next(row for row in rows if row["external_id"] == "P-1")
    assert plain["name"] == "Plain" and plain["arr"] == "-5.00"  # a number stays a number
