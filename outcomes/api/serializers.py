from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from accounts.api.serializers import MoneyField
from core.api import TEXT_MAX_LENGTH, NonBlankCharField, StrictCharField

from ..models import Outcome


class _OutcomeItem(serializers.Serializer):
    # The schema of one item; outcomes.validation.OutcomeItem is what checks it.
    kind = serializers.ChoiceField(choices=Outcome.Kind.choices)
    occurred_on = serializers.DateField(
        help_text="YYYY-MM-DD, from 1970-01-01 and not in the future (else 409)."
    )
    arr_before = MoneyField(help_text="The ARR up for renewal.")
    arr_after = MoneyField(
        help_text="The ARR after it: 0 for a churn, above arr_before for an expansion, "
        "between 0 and arr_before for a contraction."
    )
    reason = StrictCharField(max_length=500, required=False, allow_blank=True)


class OutcomeByAccount(_OutcomeItem):
    account = serializers.IntegerField(help_text="The account's id.")


class OutcomeByExternalId(_OutcomeItem):
    external_id = NonBlankCharField(
        max_length=TEXT_MAX_LENGTH, help_text="The account's CRM id (its external_id)."
    )


# One item names its account by id or by CRM id (the id wins when both are sent).
OutcomeIn = PolymorphicProxySerializer(
    component_name="OutcomeIn",
    serializers=[OutcomeByAccount, OutcomeByExternalId],
    resource_type_field_name=None,
    many=True,
)


class OutcomeOut(serializers.ModelSerializer):
    class Meta:
        model = Outcome
        fields = [
            "id",
            "account",
            "kind",
            "occurred_on",
            "arr_before",
            "arr_after",
            "reason",
            "source",
            "created_at",
        ]


class AucOut(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="ROC AUC; 0.5 is no signal.")
    low = serializers.FloatField(allow_null=True, help_text="95% bootstrap interval, low end.")
    high = serializers.FloatField(allow_null=True, help_text="95% bootstrap interval, high end.")
    n = serializers.IntegerField(help_text="Outcomes the AUC is computed on.")


class AucsOut(serializers.Serializer):
    chs = AucOut(help_text="−CHS at t0 as a predictor of churn.")
    cmi = AucOut(help_text="−CMI at t0 as a predictor of churn.")
    chs_cmi = AucOut(help_text="A logistic model of CHS and CMI, out of sample (time-ordered).")
    chs_same_rows = AucOut(help_text="CHS alone on the rows chs_cmi is judged on.")


class RateOut(serializers.Serializer):
    count = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text="Wilson 95% interval.")
    high = serializers.FloatField(allow_null=True, help_text="Wilson 95% interval.")


class BacktestCellOut(serializers.Serializer):
    cell = serializers.CharField(help_text="The 3×3 cell's key, under today's thresholds.")
    name = serializers.CharField()
    outcomes = serializers.IntegerField()
    churned = serializers.IntegerField()
    churn_rate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    churn = RateOut()
    expansion = RateOut()
    contraction = RateOut()


class LiftOut(serializers.Serializer):
    decile = serializers.IntegerField(help_text="1: the lowest CHS tenth.")
    chs_from = serializers.FloatField()
    chs_to = serializers.FloatField()
    outcomes = serializers.IntegerField()
    churned = serializers.IntegerField()
    churn_rate = serializers.FloatField()
    lift = serializers.FloatField(allow_null=True, help_text="churn_rate ÷ base rate.")
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)


class CalibrationOut(serializers.Serializer):
    predicted = serializers.FloatField(help_text="Mean predicted churn probability of the bin.")
    observed = serializers.FloatField(help_text="Share of the bin that churned.")
    n = serializers.IntegerField()


class PrecisionOut(serializers.Serializer):
    k = serializers.IntegerField()
    caught = serializers.IntegerField(help_text="Churners among the k lowest CHS.")
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)


class LowestLevelOut(RateOut):
    level = serializers.CharField()
    multiple = serializers.FloatField(allow_null=True, help_text="Its churn ÷ the base rate.")


class ExcludedOut(serializers.Serializer):
    no_chs = serializers.IntegerField(help_text="Outcomes whose account had no CHS at t0.")
    no_cmi = serializers.IntegerField(help_text="Outcomes whose account had no CMI at t0.")


class BacktestOut(serializers.Serializer):
    horizon_days = serializers.IntegerField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    outcomes = serializers.IntegerField()
    churned = serializers.IntegerField()
    base_rate = serializers.FloatField(allow_null=True)
    enough_data = serializers.BooleanField(
        help_text="False below 30 outcomes or 5 churns: then only the counts are given."
    )
    excluded = ExcludedOut()
    auc = AucsOut(help_text="Values are null below the minimum sample.")
    cells = BacktestCellOut(many=True)
    lift = LiftOut(many=True)
    calibration = CalibrationOut(many=True)
    lowest_level = LowestLevelOut(required=False)
    precision_at_k = PrecisionOut(required=False)
    computed_at = serializers.DateTimeField()


class BacktestPending(serializers.Serializer):
    status = serializers.ChoiceField(choices=["running"])
    progress = serializers.FloatField(help_text="0-1.")


class GainOut(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Proposed AUC − current AUC.")
    low = serializers.FloatField(allow_null=True, help_text="95% paired bootstrap interval.")
    high = serializers.FloatField(allow_null=True)


class WhatIfMoveOut(serializers.Serializer):
    from_cell = serializers.CharField(help_text="Today's cell key; empty when not placed.")
    from_name = serializers.CharField()
    to_cell = serializers.CharField(help_text="The candidate's cell key; empty when not placed.")
    to_name = serializers.CharField()
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=18, decimal_places=2)


class WhatIfOut(serializers.Serializer):
    accounts = serializers.IntegerField(help_text="Accounts not churned.")
    band_changes = serializers.IntegerField(
        help_text="Accounts whose CMI tier (framework) or CHS level (scorecard) would change.",
    )
    cell_changes = serializers.IntegerField(help_text="Accounts whose cell would change.")
    arr_moving = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="ARR of the accounts that change cell."
    )
    matrix = WhatIfMoveOut(
        many=True, help_text="From today's cell to the candidate's, the diagonal included."
    )


class GroupWeightsOut(serializers.Serializer):
    current = serializers.FloatField(help_text="The group's weight (percent) today.")
    proposed = serializers.FloatField(
        required=False, help_text="Its fitted weight (percent); absent without a fit."
    )


class ProposedCardOut(serializers.Serializer):
    groups = serializers.DictField(
        child=serializers.FloatField(), help_text="Group key → weight (percent, totalling 100)."
    )
    measures = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Measure key → weight in its group (percent, each group totalling 100).",
    )


class CalibrationProposalOut(serializers.Serializer):
    target = serializers.ChoiceField(choices=["framework", "scorecard"])
    horizon_days = serializers.IntegerField()
    outcomes = serializers.IntegerField(
        help_text="Outcomes scored at t0: every pillar (framework), or any measure (scorecard)."
    )
    churned = serializers.IntegerField()
    left_out = serializers.IntegerField(help_text="Outcomes left out for want of those scores.")
    enough_data = serializers.BooleanField()
    current = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Pillar key (framework) or measure key (scorecard) → its weight in the score "
        "today, in percent: a measure's is its group's weight × its weight in the group.",
    )
    proposed = serializers.DictField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="The same keys → fitted weights (percent, totalling 100); null without a fit.",
    )
    groups = serializers.DictField(
        child=GroupWeightsOut(),
        required=False,
        help_text="Scorecard only: each group's weight today and fitted.",
    )
    proposed_card = ProposedCardOut(
        required=False,
        help_text="Scorecard only, with a fit: the fitted weights as the scorecard editor "
        "takes them.",
    )
    auc_current = AucOut(help_text="−CMI (or −CHS) under today's weights, out of sample.")
    auc_proposed = AucOut(help_text="The same under weights fitted on earlier outcomes only.")
    gain = GainOut()
    verdict = serializers.ChoiceField(
        choices=["adopt", "keep"], help_text="keep unless the gain's interval lies above 0."
    )
    message = serializers.CharField()
    whatif = WhatIfOut(
        required=False,
        help_text="What the proposed weights would change on today's accounts; absent "
        "without a proposal.",
    )
