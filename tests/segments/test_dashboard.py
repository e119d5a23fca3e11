"""The managers' dashboard and the grid API: shares, filters, 2×2, isolation."""

import pytest
from django.urls import reverse

from recompute.pipeline import accounts_recompute

from ..conftest import uniform
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(org_a, placed, in_tenant):
    """Four accounts: two expanding (ARR 100 and 300), one to save (ARR 600), one unsegmented."""
    expanding = [AccountFactory(organization=org_a, arr=a, region="EMEA") for a in (100, 300)]
    saving = AccountFactory(organization=org_a, arr=600, region="APAC")
    AccountFactory(organization=org_a, arr=1000, region="APAC", name="No data")
    for account in expanding:
        placed(account, nps=50, answers=uniform(5))
    placed(saving, nps=-50, answers=uniform(5))
    with in_tenant(org_a):
        accounts_recompute()


def grid_form(org, in_tenant, *, view: str):
    """The grid's cells, and the settings form as posted with every cell as it stands."""
    from segments.selectors import grid_current

    with in_tenant(org):
        cells = list(grid_current().cells.all())
    data = {"grid-view": view, "cells-TOTAL_FORMS": len(cells), "cells-INITIAL_FORMS": len(cells)}
    for i, cell in enumerate(cells):
        data.update(
            {
                f"cells-{i}-id": cell.pk,
                f"cells-{i}-name": cell.name,
                f"cells-{i}-action": cell.action,
                f"cells-{i}-colour": cell.colour,
            }
        )
    return cells, data


def shares(page):
    return {
        c.key: (c.count, round(c.share, 2), round(c.arr_share, 2))
        for c in page.context["stats"]
        if c.count
    } | {
        "": (
            page.context["unsegmented"].count,
            round(page.context["unsegmented"].share, 2),
            round(page.context["unsegmented"].arr_share, 2),
        )
    }


def test_the_dashboard_shows_shares_of_accounts_and_arr(portfolio, mike, client_for):
    page = client_for(mike).get(reverse("segments:dashboard"))
    assert shares(page) == {
        "expand_and_leverage": (2, 0.5, 0.2),
        "save": (1, 0.25, 0.3),
        "": (1, 0.25, 0.5),
    }
    html = page.content.decode()
    assert "Unsegmented" in html
    csm = html[html.index('name="owner_csm"') :].split("</select>")[0]
    assert '<option value="" selected>All</option>' in csm  # not Django's "---------"


def test_filters_narrow_the_shares(portfolio, mike, client_for):
    page = client_for(mike).get(reverse("segments:dashboard"), {"region": "APAC"})
    assert shares(page) == {"save": (1, 0.5, 0.38), "": (1, 0.5, 0.62)}


def test_the_promapp_view_folds_the_cells(portfolio, mike, client_for):
    page = client_for(mike).get(reverse("segments:dashboard"), {"view": "2x2"})
    assert shares(page) == {
        "happy": (2, 0.5, 0.2),
        "tailored_training": (1, 0.25, 0.3),
        "": (1, 0.25, 0.5),
    }


def test_clicking_through_lists_the_cells_accounts(portfolio, mike, client_for):
    page = client_for(mike).get(reverse("accounts:list"), {"segment": "save"})
    assert [a.arr for a in page.context["page"]] == [600]
    page = client_for(mike).get(reverse("accounts:list"), {"quadrant": "happy"})
    assert sorted(a.arr for a in page.context["page"]) == [100, 300]
    page = client_for(mike).get(reverse("accounts:list"), {"segment": "none"})
    assert [a.name for a in page.context["page"]] == ["No data"]


def test_the_list_offers_the_tenants_own_cell_names_to_filter_on(
    portfolio, org_a, mike, client_for, in_tenant
):
    from segments.models import GridCell

    with in_tenant(org_a):
        GridCell.objects.filter(layout="3x3", key="save").update(name="Rescue")
    page = client_for(mike).get(reverse("accounts:list"), {"segment": "save", "falling": "false"})
    html = page.content.decode()
    assert '<option value="save" selected>Rescue</option>' in html
    assert '<option value="none">Unsegmented</option>' in html
    assert '<option value="happy">Happy</option>' in html  # the 2×2 select
    assert '<option value="false" selected>No</option>' in html
    assert [a.arr for a in page.context["page"]] == [600]
    unfiltered = client_for(mike).get(reverse("accounts:list")).content.decode()
    falling = unfiltered[unfiltered.index('name="falling"') :].split("</select>")[0]
    assert '<option value="" selected>All</option>' in falling  # not "Yes" by default
    unknown = client_for(mike).get(reverse("accounts:list"), {"segment": "nowhere"})
    assert "nowhere is not one of the available choices" in unknown.content.decode()


def test_the_grid_api_matches(portfolio, org_a, key_for):
    body = key_for(org_a).get("/api/v1/segments/grid/", {"region": "EMEA"}).json()
    cells = {c["key"]: c for c in body["cells"]}
    assert body["accounts"] == 2 and cells["expand_and_leverage"]["share"] == 1.0
    assert cells["expand_and_leverage"]["arr"] == 400.0
    assert key_for(org_a).get("/api/v1/segments/grid/", {"view": "4x4"}).status_code == 400


def test_another_organization_sees_none_of_it(portfolio, org_b, carol, client_for, key_for):
    page = client_for(carol).get(reverse("segments:dashboard"))
    assert page.context["count"] == 0
    assert key_for(org_b).get("/api/v1/segments/grid/").json()["accounts"] == 0


def test_a_manager_renames_a_cell_and_sets_the_default_view(
    mike, vera, org_a, client_for, in_tenant
):
    from segments.models import Grid, GridCell

    cells, data = grid_form(org_a, in_tenant, view="2x2")
    data["cells-0-name"] = "Nurture"
    assert client_for(vera).post(reverse("segments:grid"), data).status_code == 403
    assert client_for(mike).post(reverse("segments:grid"), data).status_code == 302
    with in_tenant(org_a):
        assert GridCell.objects.get(pk=cells[0].pk).name == "Nurture"
        assert Grid.objects.get().view == "2x2"


def test_the_grid_editor_draws_each_cell_where_it_sits(org_a, mike, client_for, in_tenant):
    import re

    html = client_for(mike).get(reverse("segments:grid")).content.decode()
    three, two = html.split('id="layout-2x2"')
    placed = re.findall(
        r"<legend>([^<]+)</legend>\s*<input[^>]+>\s*<label[^>]*>Name</label>"
        r"<input[^>]*value=\"([^\"]+)\"",
        three,
    )
    assert [name for _, name in placed[:3]] == ["Retain", "Promote maturity", "Expand and leverage"]
    assert placed[0][0] == "High health, low maturity"
    assert placed[-1] == ("Low health, high maturity", "Save")
    assert len(placed) == 9
    assert "Low health, low maturity" in two and ">At risk" not in three


def test_a_blank_cell_name_is_shown_in_its_cell_and_keeps_what_was_typed(
    org_a, mike, client_for, in_tenant
):
    from segments.models import GridCell

    cells, data = grid_form(org_a, in_tenant, view="3x3")
    data["cells-0-name"] = ""
    data["cells-1-action"] = "Typed, and kept"
    html = client_for(mike).post(reverse("segments:grid"), data).content.decode()
    assert "Not saved: 1 problem, each shown in its cell." in html
    assert "This field is required." in html and "Typed, and kept" in html
    with in_tenant(org_a):
        assert GridCell.objects.get(pk=cells[1].pk).action != "Typed, and kept"


def test_the_account_page_shows_its_cell_and_timeline(
    portfolio, org_a, mike, client_for, in_tenant
):
    from accounts.models import Account

    with in_tenant(org_a):
        account = Account.objects.get(arr=600)
    html = client_for(mike).get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'id="account-segment"' in html and "Save" in html
    assert "unsegmented → <strong>Save</strong>" in html


def test_old_default_actions_are_reworded_in_every_tenant_and_written_ones_kept(
    org_a, org_b, in_tenant
):
    import importlib

    from django.db import connection

    from segments.models import GridCell

    reword = importlib.import_module(
        "segments.migrations.0009_cell_actions_without_question_marks"
    ).reword
    for organization, action in (
        (org_a, "?? Review lifetime value and gross margin, then decide."),
        (org_b, "Ask finance first."),
    ):
        with in_tenant(organization):  # every organization has its grid from its creation
            GridCell.objects.filter(key="review_ltv_gm_low").update(action=action)
            GridCell.objects.filter(key="at_risk").update(action="Let go ???")
    with connection.schema_editor() as editor:
        reword(True)(None, editor)

    def actions(organization):
        with in_tenant(organization):
            return dict(GridCell.objects.values_list("key", "action"))

    alpha, beta = actions(org_a), actions(org_b)
    assert alpha["review_ltv_gm_low"].startswith("Undecided by the model: review lifetime value")
    assert beta["review_ltv_gm_low"] == "Ask finance first."  # written by the tenant: kept
    letting_go = "Consider letting go, unless saving it is worth the cost."
    assert alpha["at_risk"] == beta["at_risk"] == letting_go
    assert not any("??" in action for action in [*alpha.values(), *beta.values()])


def _moved(org, account, source, target, in_tenant):
    from django.utils import timezone

    from segments.models import TierMigration

    with in_tenant(org):
        TierMigration.objects.create(
            organization=org,
            account=account,
            from_segment=source,
            to_segment=target,
            occurred_at=timezone.now(),
        )


def test_the_2x2_view_keeps_the_90_day_period_it_shows(mike, client_for):
    page = client_for(mike).get(reverse("segments:dashboard"), {"view": "2x2"})
    html = page.content.decode()
    period = html[html.index('name="period"') :].split("</select>")[0]
    assert '<option value="90" selected>' in period
    assert page.context["period"] == 90
    assert "Tier migrations over 90 days" in html


def test_the_2x2_view_counts_flows_between_its_own_cells(org_a, mike, client_for, in_tenant):
    account = AccountFactory(organization=org_a)
    _moved(org_a, account, "core", "expand_and_leverage", in_tenant)  # training → happy
    _moved(org_a, account, "promote_solution", "expand_and_leverage", in_tenant)  # same
    _moved(org_a, account, "promote_maturity", "expand_and_leverage", in_tenant)  # inside happy
    _moved(org_a, account, "churn", "review_ltv_gm_medium", in_tenant)  # inside at risk

    page = client_for(mike).get(reverse("segments:dashboard"), {"view": "2x2"})
    columns = [cell.key for cell in page.context["flow_columns"]]
    assert sorted(columns) == ["at_risk", "consult_governance", "happy", "tailored_training"]
    rows = {row["cell"].key: row for row in page.context["flow_rows"]}
    training = rows["tailored_training"]
    assert training["counts"][columns.index("happy")] == 2
    assert training["up"] == 2
    assert sum(sum(row["counts"]) for row in rows.values()) == 2

    three = client_for(mike).get(reverse("segments:dashboard"), {"view": "3x3"})
    assert sum(sum(row["counts"]) for row in three.context["flow_rows"]) == 4


def test_the_per_segment_metrics_follow_the_view(org_a, mike, client_for):
    for segment in ("retain", "promote_maturity", "expand_and_leverage"):
        for _ in range(3):
            AccountFactory(organization=org_a, segment=segment, arr=100)
    page = client_for(mike).get(reverse("segments:metrics"), {"view": "2x2"})
    rows = {cell.key: metrics for cell, metrics in page.context["metrics"]}
    assert set(rows) == {"at_risk", "consult_governance", "happy", "tailored_training"}
    assert rows["happy"]["accounts"] == 6, "retain is consult governance; the other two are happy"
    assert rows["happy"]["average_arr"] == 100
    assert rows["consult_governance"]["accounts"] == 3
    assert rows["consult_governance"]["average_arr"] is None, "fewer than 5: not enough data"
    three = client_for(mike).get(reverse("segments:metrics"), {"view": "3x3"})
    assert {cell.key for cell, _ in three.context["metrics"]} >= {"retain", "core"}


def test_the_quadrant_names_its_axes_as_plotly_draws_them(portfolio, mike, client_for):
    import json

    page = client_for(mike).get(reverse("segments:dashboard"))
    layout = json.loads(page.context["figure"])["layout"]
    assert layout["xaxis"]["title"]["text"].startswith("Customer Maturity Index")
    assert layout["yaxis"]["title"]["text"].startswith("Customer Health Score")
