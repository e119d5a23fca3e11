"""The dashboard's exports: its cell table and its accounts, as CSV and as one workbook."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from recompute.pipeline import accounts_recompute

from ..conftest import uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example","click")'


@pytest.fixture
def exported(org_a, account_a, placed, in_tenant):
    placed(account_a, nps=50, answers=uniform(5))
    AccountFactory(organization=org_a, name=FORMULA, external_id="@F-1", region="-EMEA")
    with in_tenant(org_a):
        accounts_recompute()
        account_a.refresh_from_db()
    return account_a


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_cell_table_exports_as_the_dashboard_counts_it(exported, vera, client_for):
    rows = _csv(client_for(vera).get(reverse("segments:export", args=["cells.csv"])))
    by_cell = {row["cell"]: row for row in rows}
    assert by_cell["Expand and leverage"]["accounts"] == "1"
    assert by_cell["Unsegmented"]["accounts"] == "1"
    assert sum(float(row["share"]) for row in rows) == pytest.approx(1)


def test_the_accounts_export_carries_scores_cell_and_last_assessment(
    exported, mike, client_for, org_a, in_tenant
):
    from maturity.models import Assessment

    rows = _csv(client_for(mike).get(reverse("segments:export", args=["accounts.csv"])))
    acme = next(row for row in rows if row["name"] == exported.name)
    assert float(acme["chs"]) == pytest.approx(exported.chs)
    assert float(acme["cmi"]) == pytest.approx(exported.cmi)
    assert acme["chs_level"] == exported.chs_level and acme["cmi_tier"] == exported.cmi_tier
    assert acme["cell"] == "Expand and leverage"
    with in_tenant(org_a):
        submitted = Assessment.objects.get(account=exported).submitted_at
    assert acme["last_assessed"] == str(submitted.date())
    bad = next(row for row in rows if row["external_id"].endswith("F-1"))
    assert bad["name"] == "'" + FORMULA and bad["external_id"] == "'@F-1"
    assert bad["region"] == "'-EMEA" and bad["last_assessed"] == ""


def test_the_workbook_holds_both_with_formulas_as_text(exported, mike, client_for):
    response = client_for(mike).get(reverse("segments:export", args=["xlsx"]), {"view": "2x2"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Cells (2x2)", "Accounts"]
    cells = [row for row in workbook["Cells (2x2)"].iter_rows(min_row=2, values_only=True)]
    assert {row[0] for row in cells} >= {"Happy", "Unsegmented"}
    accounts = workbook["Accounts"]
    header = [cell.value for cell in accounts[1]]
    name = next(row for row in accounts.iter_rows(min_row=2) if row[1].value == FORMULA)[1]
    assert name.data_type == "s", "stored as text: Excel shows it, never runs it"
    arr = next(row for row in accounts.iter_rows(min_row=2) if row[1].value == exported.name)
    assert isinstance(arr[header.index("arr")].value, (int, float)), "numbers stay numbers"


def test_the_exports_follow_the_filters_and_stay_in_the_tenant(
    exported, mike, org_b, carol, client_for
):
    AccountFactory(organization=org_b, name="Bravo only")
    url = reverse("segments:export", args=["accounts.csv"])
    rows = _csv(client_for(carol).get(url))
    assert [row["name"] for row in rows] == ["Bravo only"]
    filtered = _csv(client_for(mike).get(url, {"region": "-EMEA"}))
    assert [row["name"] for row in filtered] == ["'" + FORMULA]


def test_an_unknown_export_is_a_404(mike, client_for):
    response = client_for(mike).get(reverse("segments:export", args=["accounts.pdf"]))
    assert response.status_code == 404
