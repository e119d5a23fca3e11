from core.memo import Memo

from .models import HealthLevel, Measure, Scorecard
from .scoring import Card, MeasureSpec


def scorecard_active() -> Scorecard | None:
    return Scorecard.objects.filter(is_active=True).first()


CARDS = Memo()


def card_of(scorecard: Scorecard) -> Card:
    """What scoring needs of `scorecard`; read once per process and edit (see `updated_at`)."""
    return CARDS.get((scorecard.pk, scorecard.updated_at), lambda: _card_read(scorecard))


def _card_read(scorecard: Scorecard) -> Card:
    measures = Measure.objects.filter(group__scorecard=scorecard).select_related("group")
    return Card(
        groups={g.key: float(g.weight) for g in scorecard.groups.all()},
        measures=[
            MeasureSpec(
                key=m.key,
                name=m.name,
                group=m.group.key,
                metric=m.metric,
                weight=float(m.weight),
                rule=m.rule,
                params=m.params,
                stale_after_days=m.stale_after_days,
            )
            for m in measures
        ],
        levels=[
            (lv.name, float(lv.lower)) for lv in HealthLevel.objects.filter(scorecard=scorecard)
        ],
    )


def scorecard_spec(scorecard: Scorecard) -> dict:
    """A scorecard as a template-shaped dict, the editor's and the API's view of it."""
    groups = scorecard.groups.prefetch_related("measures")
    return {
        "groups": [
            {
                "key": g.key,
                "name": g.name,
                "weight": float(g.weight),
                "measures": [
                    {
                        "key": m.key,
                        "name": m.name,
                        "metric": m.metric,
                        "weight": float(m.weight),
                        "rule": m.rule,
                        "params": m.params,
                        "stale_after_days": m.stale_after_days,
                        "manual": m.manual,
                    }
                    for m in g.measures.all()
                ],
            }
            for g in groups
        ],
        "levels": [
            {"name": lv.name, "lower": float(lv.lower), "colour": lv.colour}
            for lv in scorecard.levels.all()
        ],
    }
