import pytest

from core.derivation import Cause
from playbooks.services import playbook_defaults_install
from recompute.pipeline import accounts_recompute


@pytest.fixture
def defaults(org_a, cmi_framework, chs_card, in_tenant):
    with in_tenant(org_a):
        return {p.key: p for p in playbook_defaults_install(organization=org_a)}


@pytest.fixture
def move(org_a, placed, in_tenant):
    """`move(account, nps, score)`: new inputs, then the recompute a worker would run."""

    def go(account, nps, score):
        from ..conftest import uniform

        placed(account, nps=nps, answers=uniform(score))
        with in_tenant(org_a):
            accounts_recompute(account_ids=[account.pk], cause=Cause())

    return go


# nps and a uniform score that put an account in a cell (CHS from the NPS alone).
EXPAND = (50, 5)
SAVE = (-50, 5)
CHURN = (-50, 1)
RETAIN = (50, 1)
