"""A Hypothesis state machine: submissions, outbox drains, and duplicated or stray task
deliveries in any order. After every delivery the stored CMI, CHS level, cell and migrations
equal a reference computed from the committed inputs alone.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from accounts.models import Account
from health.models import MetricValue
from health.services import metrics_record
from maturity.services import assessment_create
from recompute.models import RecomputeRequest
from recompute.tasks import drain
from segments.cells import GRID_3X3
from segments.models import TierMigration
from tests.recomputing import recompute_run

from ..conftest import uniform
from ..factories import AccountFactory

# The reference: the deck's tiers (Low from 1, Medium from 2.5, High from 3.5) and the CHS
# scorecard's reading of an NPS alone, as the grid's rows and columns count them.
TIER = {1: 0, 3: 1, 5: 2}
HEALTH = {-50: 0, 0: 1, 50: 2}
ACCOUNTS = 3


def reference_cell(inputs) -> str:
    score, nps = inputs.get("score"), inputs.get("nps")
    if score is None or nps is None:
        return ""
    return GRID_3X3[(HEALTH[nps], TIER[score])]


@pytest.mark.django_db
def test_the_pipeline_matches_its_reference(org_a, cmi_framework, chs_card, in_tenant):
    class Pipeline(RuleBasedStateMachine):
        @initialize()
        def accounts(self):
            self.clock = timezone.now() - timedelta(hours=1)  # observations are never future
            with in_tenant(org_a):
                drain.run(str(org_a.id))  # whatever the fixtures asked for
                self.accounts = [AccountFactory(organization=org_a) for _ in range(ACCOUNTS)]
            self.inputs = [{} for _ in range(ACCOUNTS)]
            self.seen = ["" for _ in range(ACCOUNTS)]  # the cell at the last recompute
            self.moves = [[] for _ in range(ACCOUNTS)]  # the migrations a reference expects

        @rule(which=st.integers(0, ACCOUNTS - 1), score=st.sampled_from(sorted(TIER)))
        def submit_assessment(self, which, score):
            with in_tenant(org_a):
                assessment_create(
                    account=self.accounts[which],
                    framework=cmi_framework,
                    answers=uniform(score),
                    by=None,
                )
            self.inputs[which]["score"] = score

        @rule(which=st.integers(0, ACCOUNTS - 1), nps=st.sampled_from(sorted(HEALTH)))
        def submit_nps(self, which, nps):
            self.clock += timedelta(seconds=1)  # the newest observation wins
            with in_tenant(org_a):
                metrics_record(
                    organization=org_a,
                    values=[
                        MetricValue(
                            account=self.accounts[which],
                            metric="nps",
                            number=nps,
                            observed_at=self.clock,
                        )
                    ],
                    source=MetricValue.Source.API,
                )
            self.inputs[which]["nps"] = nps

        def _recomputed(self, which):
            cell = reference_cell(self.inputs[which])
            if cell != self.seen[which]:
                self.moves[which].append((self.seen[which], cell))
                self.seen[which] = cell

        @rule(times=st.integers(1, 3))
        def deliver_drains(self, times):
            """the drain, delivered once or duplicated"""
            for _ in range(times):
                drain.run(str(org_a.id))
            for which in range(ACCOUNTS):
                self._recomputed(which)

        @rule(which=st.integers(0, ACCOUNTS - 1))
        def deliver_a_stray_recompute(self, which):
            """a late or duplicated direct recompute of one account, outbox or not"""
            recompute_run(str(org_a.id), [self.accounts[which].pk], ["redelivered", None])
            self._recomputed(which)

        @invariant()
        def stored_state_equals_the_reference(self):
            if not hasattr(self, "accounts"):
                return
            with in_tenant(org_a):
                drained = not RecomputeRequest.objects.exists()
                for which, account in enumerate(self.accounts):
                    stored = Account.objects.get(pk=account.pk)
                    moves = list(
                        TierMigration.objects.filter(account=account)
                        .order_by("id")
                        .values_list("from_segment", "to_segment")
                    )
                    assert moves == self.moves[which]
                    assert stored.segment == self.seen[which]
                    if drained:  # every committed input has been recomputed
                        assert stored.segment == reference_cell(self.inputs[which])
                        score = self.inputs[which].get("score")
                        assert stored.cmi == (None if score is None else pytest.approx(score))

    Pipeline.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    Pipeline.TestCase().runTest()
