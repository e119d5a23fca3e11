"""A framework version's structure and a scorecard's card are cached per process, keyed by a
timestamp their writers move: an edit is seen at once, a rolled-back edit never."""

from decimal import Decimal

import pytest
from django.db import transaction

from core.memo import Memo
from health.models import Scorecard
from health.selectors import card_of, scorecard_spec
from health.services import scorecard_update
from maturity.models import FrameworkVersion
from maturity.selectors import framework_structure
from maturity.services import framework_update, version_spec

pytestmark = pytest.mark.django_db


class Abort(Exception):
    pass


def test_the_memo_builds_once_per_key_and_drops_the_oldest():
    built = []
    memo = Memo(size=2)
    for key in ["a", "a", "b", "c", "a"]:
        memo.get(key, lambda key=key: built.append(key) or key.upper())
    assert built == ["a", "b", "c", "a"]  # "a" was dropped for "c", then built again
    assert memo.get("c", lambda: "never") == "C"


def test_a_version_edited_in_place_is_scored_by_its_new_structure(org_a, cmi_framework, in_tenant):
    def fresh():
        return FrameworkVersion.objects.get(pk=cmi_framework.current_version_id)

    with in_tenant(org_a):
        before = framework_structure(fresh())
        spec = version_spec(fresh())
        first, second = spec["pillars"][0], spec["pillars"][1]
        first["weight"], second["weight"] = first["weight"] + 5, second["weight"] - 5
        spec["tiers"][1]["lower"] += Decimal("0.5")

        with pytest.raises(Abort), transaction.atomic():
            change = framework_update(framework=cmi_framework, spec=spec, by=None)
            assert framework_structure(fresh()).weights[first["key"]] == float(first["weight"])
            raise Abort  # the structure read above is cached under a key nobody reads again
        assert framework_structure(fresh()) == before

        change = framework_update(framework=cmi_framework, spec=spec, by=None)
        assert not change.new_version  # no assessment used it: edited in place
        after = framework_structure(fresh())
    assert after.weights[first["key"]] == before.weights[first["key"]] + 5
    assert after.weights[second["key"]] == before.weights[second["key"]] - 5
    assert after.tiers[1][1] == before.tiers[1][1] + 0.5


def test_a_scorecard_edit_is_seen_by_the_next_card(org_a, chs_card, in_tenant):
    def fresh():
        return Scorecard.objects.get(pk=chs_card.pk)

    with in_tenant(org_a):
        before = card_of(fresh())
        spec = scorecard_spec(fresh())
        spec["levels"][1]["lower"] = 45

        with pytest.raises(Abort), transaction.atomic():
            scorecard_update(scorecard=fresh(), spec=spec)
            assert dict(card_of(fresh()).levels)[spec["levels"][1]["name"]] == 45
            raise Abort
        assert card_of(fresh()) == before

        scorecard_update(scorecard=fresh(), spec=spec)
        after = card_of(fresh())
    assert (
        dict(after.levels)[spec["levels"][1]["name"]]
        == 45
        != dict(before.levels)[spec["levels"][1]["name"]]
    )
    assert after.measures == before.measures
