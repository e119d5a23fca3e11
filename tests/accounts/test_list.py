"""The account list sorts by every column, scores included, and names its cells and CSMs."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AccountFactory


def _names(response) -> list[str]:
    body = response.content.decode()
    table = body[body.index('id="accounts"') :]
    return re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', table)


@pytest.fixture
def scored(org_a, bob):
    AccountFactory(organization=org_a, name="Low", chs=31, chs_trend_30=-12, cmi=4.1)
    AccountFactory(organization=org_a, name="High", chs=88, chs_trend_30=3, cmi=1.9)
    AccountFactory(organization=org_a, name="Unscored", chs=None, cmi=None, owner_csm=bob)
    AccountFactory(organization=org_a, name="Mid", chs=60, chs_trend_30=0, cmi=3.0)


@pytest.mark.parametrize(
    ("o", "expected"),
    [
        ("-chs", ["High", "Mid", "Low", "Unscored"]),
        ("chs", ["Low", "Mid", "High", "Unscored"]),
        ("chs_trend", ["Low", "Mid", "High", "Unscored"]),
        ("-cmi", ["Low", "Mid", "High", "Unscored"]),
        ("cmi", ["High", "Mid", "Low", "Unscored"]),
    ],
)
def test_the_list_sorts_by_each_score_with_unscored_accounts_last(
    client_for, alice, scored, o, expected
):
    response = client_for(alice).get("/accounts/", {"o": o})
    assert response.status_code == 200
    assert "not one of the available choices" not in response.content.decode()
    assert _names(response) == expected


def test_the_header_of_the_current_sort_reverses_it_and_says_so(client_for, alice, scored):
    body = client_for(alice).get("/accounts/", {"o": "-chs", "page": "2"}).content.decode()
    chs = re.search(r'<th scope="col" class="num" aria-sort="(\w+)"><a href="\?([^"]+)">CHS', body)
    assert chs is not None
    assert chs.group(1) == "descending"
    assert "o=chs" in chs.group(2) and "page" not in chs.group(2)
    cmi = re.search(r'aria-sort="(\w+)"><a href="\?([^"]+)">CMI', body)
    assert cmi is not None
    assert cmi.group(1) == "none" and "o=-cmi" in cmi.group(2), "scores rank high first"


def test_the_list_shows_the_csm_by_name_and_the_cell(client_for, alice, org_a, bob, in_tenant):
    bob.first_name, bob.last_name = "Bob", "Builder"
    bob.save()
    AccountFactory(organization=org_a, name="Placed", owner_csm=bob, segment="core")
    body = client_for(alice).get("/accounts/").content.decode()
    row = body[body.index(">Placed<") :].split("</tr>")[0]
    assert "Bob Builder" in row and "bob@" not in row
    with in_tenant(org_a):
        from accounts.selectors import cell_names_3x3

        name = cell_names_3x3()["core"]
    assert f"<td>{name}</td>" in row


def test_an_unknown_sort_is_a_form_error_not_a_crash(client_for, alice, scored):
    response = client_for(alice).get("/accounts/", {"o": "secret_field"})
    assert response.status_code == 200
    assert "not one of the available choices" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_manager_sorts_the_list_by_chs_in_the_browser(
    login, live_server, mike, org_a, placed, in_tenant, worker
):
    # Scored for real: a worker in the session recomputes any account it is told about.
    from recompute.pipeline import accounts_recompute

    for name, nps in [("Low", -40), ("High", 50), ("Unscored", None), ("Mid", 0)]:
        placed(AccountFactory(organization=org_a, name=name), nps=nps)
    with in_tenant(org_a):
        accounts_recompute()
    page = login("mike@alpha.test")
    page.goto(f"{live_server.url}/accounts/")
    names = page.locator("#accounts td.name")
    # expect() waits for the page the click loads, instead of reading whichever is showing.
    with page.expect_navigation():
        page.click("#accounts th >> text=CHS")
    expect(page.locator("#accounts th[aria-sort=descending]")).to_contain_text("CHS")
    expect(names).to_have_text(["High", "Mid", "Low", "Unscored"])
    with page.expect_navigation():
        page.click("#accounts th >> text=CHS")
    expect(page.locator("#accounts th[aria-sort=ascending]")).to_contain_text("CHS")
    expect(names).to_have_text(["Low", "Mid", "High", "Unscored"])
    assert page.locator(".flash.error").count() == 0
