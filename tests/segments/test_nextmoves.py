"""Next moves: applying a suggested move to the account's inputs lands it where promised."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from health.selectors import card_of
from maturity.models import Factor
from maturity.selectors import framework_structure
from recompute.pipeline import accounts_recompute
from segments import nextmoves
from segments.cells import POSITION
from segments.selectors import AccountInputs, account_next_moves, model_cell

from ..conftest import uniform

pytestmark = pytest.mark.django_db

AS_OF = pd.Timestamp("2026-12-01T12:00:00Z")


@pytest.fixture
def shapes(org_a, chs_card, cmi_framework, in_tenant):
    with in_tenant(org_a):
        version = cmi_framework.current
        names = dict(Factor.objects.filter(pillar__version=version).values_list("key", "name"))
        return card_of(chs_card), framework_structure(version), names


def _value(measure, draw):
    if measure.rule == "categorical":
        return draw(st.sampled_from(sorted(measure.params["map"]))), True
    return draw(st.floats(min_value=-60, max_value=120, allow_nan=False)), False


@st.composite
def inputs(draw, card, structure):
    rows = []
    for m in card.measures:
        if draw(st.booleans()) and m.rule != "recency":
            value, text = _value(m, draw)
            rows.append(
                {
                    "account": 1,
                    "metric": m.metric,
                    "number": float("nan") if text else float(value),
                    "text": value if text else "",
                    "observed_at": AS_OF - pd.Timedelta(days=draw(st.integers(0, 20))),
                }
            )
    latest = pd.DataFrame(rows, columns=["account", "metric", "number", "text", "observed_at"])
    answers = {key: draw(st.integers(1, 5)) for key in structure.factors}
    return latest, answers


def _moves(card, structure, names, latest, answers, cell, chs, cmi):
    return nextmoves.next_moves(
        cell=cell,
        chs_search=lambda t: nextmoves.chs_changes(latest, card, 1, AS_OF, t),
        cmi_search=lambda t: nextmoves.cmi_changes(answers, structure, names, t),
        levels=card.levels,
        tiers=structure.tiers,
        chs=chs,
        cmi=cmi,
    )


def _applied(inputs_, move):
    latest, answers = inputs_.latest.copy(), dict(inputs_.answers)
    for change in move.changes:
        if change.side == "cmi":
            answers[change.key] = change.after
            continue
        latest = latest[latest["metric"] != change.key]
        text = isinstance(change.after, str)
        row = {
            "account": inputs_.account,
            "metric": change.key,
            "number": float("nan") if text else float(change.after),
            "text": change.after if text else "",
            "observed_at": inputs_.as_of,
        }
        latest = pd.concat([latest, pd.DataFrame([row])], ignore_index=True)
    return latest, answers


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_move_lands_the_account_in_the_cell_it_promises(shapes, data):
    card, structure, names = shapes
    latest, answers = data.draw(inputs(card, structure))
    given_inputs = AccountInputs(1, latest, card, answers, structure, names, AS_OF)
    cell, chs, cmi = model_cell(given_inputs)
    moves = _moves(card, structure, names, latest, answers, cell, chs, cmi)
    for move in moves:
        moved_latest, moved_answers = _applied(given_inputs, move)
        landed, new_chs, new_cmi = model_cell(given_inputs, moved_latest, moved_answers)
        assert landed == move.cell, (cell, move)
        assert sum(POSITION[landed]) > sum(POSITION[cell]), "a better cell"
        assert new_chs == pytest.approx(move.chs) and new_cmi == pytest.approx(move.cmi)


def test_an_account_in_the_middle_has_a_move_up_in_health(org_a, account_a, placed, in_tenant):
    placed(account_a, nps=0, answers=uniform(3))  # medium health, medium maturity: core
    with in_tenant(org_a):
        accounts_recompute()
        account_a.refresh_from_db()
        moves = account_next_moves(account_a)
    assert account_a.segment == "core"
    by_cell = {move.cell: move for move in moves}
    up = by_cell.get("promote_maturity")  # one row up in health, same maturity
    assert up is not None, moves
    assert [c.key for c in up.changes] == ["nps"] and up.changes[0].before == 0
    assert up.chs >= 70


def test_the_account_page_and_the_api_show_the_moves(
    org_a, account_a, placed, in_tenant, mike, client_for, key_for
):
    placed(account_a, nps=0, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
    page = client_for(mike).get(f"/accounts/{account_a.pk}/").content.decode()
    assert 'id="next-moves"' in page and "Survey (NPS)" in page.split('id="next-moves"')[1]
    moves = key_for(org_a).get(f"/api/v1/accounts/{account_a.pk}/next-moves/").json()
    better = {"promote_maturity", "promote_solution", "expand_and_leverage"}
    assert moves and {m["cell"] for m in moves} <= better
    assert all(m["changes"] for m in moves)


@pytest.mark.django_db(transaction=True)
def test_a_next_move_is_shown_and_reached_once_its_inputs_arrive(
    worker, login, live_server, bob, org_a, account_a, placed, key_for, in_tenant
):
    import re

    from ..conftest import wait_for

    placed(account_a, nps=0, answers=uniform(3))
    with in_tenant(org_a):
        accounts_recompute()
    page = login("bob@alpha.test")
    page.goto(f"{live_server.url}/accounts/{account_a.pk}/")
    move = page.locator("#next-moves li", has_text="Promote maturity").first.inner_text()
    found = re.search(r"Survey \(NPS\) 0(?:\.0)? → (-?[\d.]+)", move)
    assert found, move
    response = key_for(org_a).post(
        "/api/v1/health-metrics/",
        [{"account": account_a.pk, "metric": "nps", "value": float(found.group(1))}],
        format="json",
    )
    assert response.status_code == 201

    def moved():
        with in_tenant(org_a):
            return type(account_a).objects.get(pk=account_a.pk).segment == "promote_maturity"

    wait_for(moved)  # the worker's recompute places the account where the move promised
    page.reload()
    assert "Promote maturity" in page.inner_text("#account-segment")


def test_a_change_that_overshoots_promises_the_cell_it_really_reaches(shapes):
    # Found by the property test: "nice to have" → "important" lifts the CHS from Low past
    # Medium to High, so the move reaches Retain, not the row above.
    card, structure, names = shapes
    latest = pd.DataFrame(
        [
            {
                "account": 1,
                "metric": "mission_criticality",
                "number": float("nan"),
                "text": "nice_to_have",
                "observed_at": AS_OF,
            }
        ]
    )
    answers = dict.fromkeys(structure.factors, 1)
    given_inputs = AccountInputs(1, latest, card, answers, structure, names, AS_OF)
    cell, chs, cmi = model_cell(given_inputs)
    moves = _moves(card, structure, names, latest, answers, cell, chs, cmi)
    assert cell == "churn"
    for move in moves:
        assert model_cell(given_inputs, *_applied(given_inputs, move))[0] == move.cell
    assert "retain" in {move.cell for move in moves}
