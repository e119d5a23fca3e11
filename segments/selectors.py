"""Reads for the managers' dashboard, the grid API and the migrations feed.

Everything is aggregated in the database: 100,000 accounts arrive as a few dozen rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from accounts.filters import FALLING_FAST
from accounts.models import Account, LifecycleStage
from core.charts import UNSCORED
from core.chunks import Chunk
from core.frames import frame_read
from health.models import HealthLevel, MetricValue
from health.provider import card_current, latest_values
from health.provider import compute as health_compute
from health.scoring import Card
from maturity import scoring as cmi_scoring
from maturity.models import Assessment, Factor
from maturity.provider import latest_answers
from maturity.selectors import framework_primary, framework_structure
from tenancy import feed

from . import nextmoves
from .cells import (
    DEFAULT_CELLS,
    GRID_3X3,
    POSITION,
    POSITION_2X2,
    cell_in,
    direction,
    fold_flows,
    quadrant_of,
    segment_of,
)
from .models import Grid, GridCell, TierMigration
from .whatif import cell_moves

MIN_ACCOUNTS_FOR_METRICS = 5
SCATTER_LIMIT = 6000


@dataclass
class CellStats:
    key: str
    name: str
    action: str
    colour: str
    row: int
    column: int
    count: int = 0
    arr: float = 0.0
    share: float = 0.0
    arr_share: float = 0.0


def cells_of(grid: Grid, layout: str) -> dict[str, GridCell]:
    return {cell.key: cell for cell in grid.cells.filter(layout=layout)}


def _quadrant_case():
    return Case(
        *[When(segment=cell, then=Value(quadrant_of(cell))) for cell in GRID_3X3.values()],
        default=Value(""),
        output_field=CharField(),
    )


def grid_summary(accounts: QuerySet[Account], grid: Grid, layout: str | None = None):
    """Counts, ARR and shares per cell (of the 3×3 or the 2×2), plus the unsegmented."""
    layout = layout or grid.view
    cells = cells_of(grid, layout)
    if layout == Grid.View.GRID_2X2:
        rows = accounts.annotate(cell=_quadrant_case())
        positions = POSITION_2X2
    else:
        rows = accounts.annotate(cell=F("segment"))
        positions = POSITION
    totals = {
        row["cell"]: (row["n"], float(row["arr"] or 0))
        for row in rows.values("cell").annotate(n=Count("id"), arr=Sum("arr")).order_by()
    }
    count = sum(n for n, _ in totals.values())
    arr = sum(a for _, a in totals.values())
    stats = []
    for key, cell in cells.items():
        n, a = totals.get(key, (0, 0.0))
        row, column = positions[key]
        stats.append(
            CellStats(
                key=key,
                name=cell.name,
                action=cell.action,
                colour=cell.colour,
                row=row,
                column=column,
                count=n,
                arr=a,
                share=n / count if count else 0.0,
                arr_share=a / arr if arr else 0.0,
            )
        )
    n, a = totals.get("", (0, 0.0))
    unsegmented = CellStats(
        key="",
        name="Unsegmented",
        action="Needs a CHS and a CMI first.",
        colour=UNSCORED,
        row=-1,
        column=-1,
        count=n,
        arr=a,
        share=n / count if count else 0.0,
        arr_share=a / arr if arr else 0.0,
    )
    return stats, unsegmented, count, arr


def thresholds() -> tuple[list[float], list[float]]:
    """Where the grid lines fall: CHS level and CMI tier lower bounds above the floor."""
    levels = [
        float(v)
        for v in HealthLevel.objects.filter(scorecard__is_active=True).values_list(
            "lower", flat=True
        )
    ][1:]
    framework = framework_primary()
    tiers = (
        [float(v) for v in framework.current.tiers.values_list("lower", flat=True)][1:]
        if framework
        else []
    )
    return levels, tiers


def scatter_points(accounts: QuerySet[Account], total: int, limit: int = SCATTER_LIMIT):
    """The `total` segmented accounts for the quadrant; a random sample above `limit`."""
    placed = accounts.exclude(segment="")
    rows = placed
    if total > limit and connection.vendor == "postgresql":
        # Bernoulli sampling without sorting the whole table; a little over, then cut.
        fraction = min(1.0, limit / total * 1.05)
        rows = placed.annotate(draw=Func(function="random", output_field=FloatField())).filter(
            draw__lt=fraction
        )[:limit]
    elif total > limit:
        rows = placed.order_by("?")[:limit]
    values = list(rows.values_list("id", "name", "cmi", "chs", "arr", "segment"))
    return values, total


def migration_flows(accounts: QuerySet[Account], since: datetime, layout: str = "3x3"):
    """From → to counts over the period between the cells of `layout`, and per cell how many
    moved up or down."""
    moves = list(
        TierMigration.objects.filter(account__in=accounts, occurred_at__gte=since)
        .exclude(from_segment="")
        .values("from_segment", "to_segment")
        .annotate(n=Count("id"))
        .order_by()
    )
    matrix = fold_flows({(m["from_segment"], m["to_segment"]): m["n"] for m in moves}, layout)
    per_cell: dict[str, dict[str, int]] = {}
    for (source, target), n in matrix.items():
        entry = per_cell.setdefault(source, {"up": 0, "down": 0, "across": 0, "out": 0})
        entry[direction(source, target)] += n
    return matrix, per_cell


def _upsell_counts(accounts: QuerySet[Account]) -> dict[str, tuple[int, int]]:
    """Per cell: accounts whose latest revenue growth is positive, and accounts reporting it."""
    rows = (
        accounts.exclude(segment="")
        .filter(latest_metrics__metric="arr_growth_pct")
        .values("segment")
        .annotate(grew=Count("id", filter=Q(latest_metrics__number__gt=0)), known=Count("id"))
    )
    return {row["segment"]: (row["grew"], row["known"]) for row in rows}


def segment_metrics(
    accounts: QuerySet[Account], stats: list[CellStats], per_cell: dict, layout: str = "3x3"
):
    """Per-cell retention, average ARR (a CLTV proxy), upsell and migration rates, in the
    cells of `layout` (the 2×2 adds up its 3×3 cells).

    A figure is None ("not enough data") when the cell has fewer than 5 accounts, or, for the
    upsell rate, fewer than 5 accounts that report revenue growth.
    """
    by_cell: dict[str, dict[str, Any]] = {}
    for row in (
        accounts.exclude(segment="")
        .values("segment")
        .annotate(
            n=Count("id"),
            churned=Count("id", filter=Q(lifecycle_stage=LifecycleStage.CHURNED)),
            arr=Sum("arr"),
        )
        .order_by()
    ):
        entry = by_cell.setdefault(cell_in(row["segment"], layout), {"n": 0, "churned": 0})
        entry["n"] += row["n"]
        entry["churned"] += row["churned"]
        entry["arr"] = entry.get("arr", 0) + (row["arr"] or 0)
    upsell: dict[str, tuple[int, int]] = {}
    for segment, (grew, known) in _upsell_counts(accounts).items():
        before = upsell.get(cell_in(segment, layout), (0, 0))
        upsell[cell_in(segment, layout)] = (before[0] + grew, before[1] + known)
    result = {}
    for cell in stats:
        totals = by_cell.get(cell.key) or {}
        n = totals.get("n", 0)
        enough = n >= MIN_ACCOUNTS_FOR_METRICS
        grew, known = upsell.get(cell.key, (0, 0))
        moved = per_cell.get(cell.key, {})
        moved_total = sum(moved.values())
        result[cell.key] = {
            "accounts": n,
            "retention": (1 - totals["churned"] / n) if enough else None,
            "average_arr": float(totals["arr"] or 0) / n if enough else None,
            "upsell": grew / known if known >= MIN_ACCOUNTS_FOR_METRICS else None,
            "migration_rate": moved_total / (n + moved_total) if enough else None,
        }
    return result


def migrations_feed(*, after: tuple[int, int] = (0, 0), limit: int = 100):
    """Tier migrations after the cursor position `after`, in commit order (tenancy.feed). The
    position is stored in the column named txid."""
    events = TierMigration.objects.select_related("account", "deletion")
    return feed.page_after(events, "txid", after=after, limit=limit)


def grid_current() -> Grid:
    """The active tenant's grid, created with the organization (segments.services.grid_create)."""
    return Grid.objects.get()


def cell_names(*, layout: str) -> dict[str, str]:
    """The tenant's cells of one layout, named as its grid names them, in the grid's order."""
    names = {cell["key"]: cell["name"] for cell in DEFAULT_CELLS[layout]}
    return names | dict(GridCell.objects.filter(layout=layout).values_list("key", "name"))


def quadrant_cells(*, quadrant: str) -> list[str]:
    """The 3×3 cells inside a 2×2 one."""
    return [cell for cell in GRID_3X3.values() if quadrant_of(cell) == quadrant]


def framework_whatif(weights: Mapping[str, float]) -> dict[str, Any] | None:
    """What the primary framework's pillar weights `weights` would change for the accounts
    not churned: each one's CMI tier and cell scored from its latest submitted assessment
    with today's weights and with these, its CHS level as it stands. None without a
    framework."""
    framework = framework_primary()
    if framework is None:
        return None
    structure = framework_structure(framework.current)
    candidate = replace(structure, weights=dict(weights))
    accounts = frame_read(
        Account.objects.exclude(lifecycle_stage=LifecycleStage.CHURNED)
        .order_by("pk")
        .values_list("pk", "arr", "chs_level"),
        columns=["account", "arr", "chs_level"],
        text=["chs_level"],
    ).set_index("account")
    names = cell_names(layout="3x3")
    if accounts.empty:
        empty = pd.DataFrame({"band": [], "cell": []})
        return cell_moves(empty, empty, pd.Series(dtype=float), names)
    answers = latest_answers(Chunk.of(accounts.index.tolist()), framework)
    card = card_current()
    levels = [name for name, _ in card.levels] if card else []
    tiers = [name for name, _ in structure.tiers]

    def placed(structure_used: cmi_scoring.Structure) -> pd.DataFrame:
        cmi = pd.Series(float("nan"), index=accounts.index)
        if not answers.empty:
            scored = cmi_scoring.score_frame(answers, structure_used)["cmi"].astype(float)
            cmi.loc[scored.index.intersection(cmi.index)] = scored
        tier = cmi_scoring.tier_of(cmi, structure_used.tiers)
        cell = segment_of(accounts["chs_level"], tier, levels, tiers)
        return pd.DataFrame({"band": tier, "cell": cell})

    return cell_moves(placed(structure), placed(candidate), accounts["arr"].astype(float), names)


def scorecard_whatif(card: Card) -> dict[str, Any] | None:
    """What scorecard `card` would change for the accounts not churned: each one's CHS level
    and cell as the recompute would make them (health.provider.compute, overrides included)
    from its latest metric values, with the active scorecard and with `card`; its CMI tier as
    it stands. None without an active scorecard."""
    current = card_current()
    if current is None:
        return None
    accounts = frame_read(
        Account.objects.exclude(lifecycle_stage=LifecycleStage.CHURNED)
        .order_by("pk")
        .values_list("pk", "arr", "cmi_tier"),
        columns=["account", "arr", "cmi_tier"],
        text=["cmi_tier"],
    ).set_index("account")
    names = cell_names(layout="3x3")
    if accounts.empty:
        empty = pd.DataFrame({"band": [], "cell": []})
        return cell_moves(empty, empty, pd.Series(dtype=float), names)
    framework = framework_primary()
    tiers = [name for name, _ in framework_structure(framework.current).tiers] if framework else []
    chunk, now = Chunk.of(accounts.index.tolist()), timezone.now()

    def placed(used: Card) -> pd.DataFrame:
        level = health_compute(chunk, now=now, card=used)["chs_level"].reindex(accounts.index)
        cell = segment_of(level, accounts["cmi_tier"], [name for name, _ in used.levels], tiers)
        return pd.DataFrame({"band": level, "cell": cell})

    return cell_moves(placed(current), placed(card), accounts["arr"].astype(float), names)


TRIAGE_SHOWN = 5
RENEWING_WITHIN_DAYS = 90


def _top(accounts: QuerySet[Account], order: list[Any]) -> dict[str, Any]:
    totals = accounts.aggregate(n=Count("id"), arr=Sum("arr"))
    return {
        "count": totals["n"],
        "arr": float(totals["arr"] or 0),
        "accounts": list(
            accounts.order_by(*order, "pk").values(
                "pk", "name", "arr", "chs", "chs_trend_30", "renewal_date", "segment"
            )[:TRIAGE_SHOWN]
        ),
    }


def triage(accounts: QuerySet[Account], today) -> dict[str, Any] | None:
    """What to act on first among these accounts: those at risk (the lowest CHS level) by
    ARR, those renewing within RENEWING_WITHIN_DAYS at that level by date, and those whose
    CHS fell fast in 30 days (accounts.filters.FALLING_FAST) by the size of the fall. Each
    has its count, ARR and the first TRIAGE_SHOWN; None when no scorecard is active."""
    lowest = (
        HealthLevel.objects.filter(scorecard__is_active=True)
        .order_by("lower")
        .values_list("name", flat=True)
        .first()
    )
    if lowest is None:
        return None
    at_risk = accounts.filter(chs_level=lowest)
    renew_by = today + timedelta(days=RENEWING_WITHIN_DAYS)
    renewing = at_risk.filter(renewal_date__gte=today, renewal_date__lte=renew_by)
    falling = accounts.filter(chs_trend_30__lte=FALLING_FAST)
    return {
        "level": lowest,
        "renew_by": renew_by,
        "days": RENEWING_WITHIN_DAYS,
        "falling_by": FALLING_FAST,
        "at_risk": _top(at_risk, [F("arr").desc()]),
        "renewing": _top(renewing, ["renewal_date"]),
        "falling": _top(falling, ["chs_trend_30"]),
    }


def onboarding() -> dict[str, bool] | None:
    """An organization's first steps and which are done; None once it has accounts with
    metrics and an assessment (the dashboard then shows triage, not steps)."""
    steps = {
        "accounts": Account.objects.exists(),
        "metrics": MetricValue.objects.exists(),
        "assessment": Assessment.objects.filter(status=Assessment.Status.SUBMITTED).exists(),
    }
    return None if all(steps.values()) else steps


@dataclass(frozen=True)
class AccountInputs:
    """An account's current inputs and how the scoring modules see them."""

    account: int
    latest: pd.DataFrame
    card: Any
    answers: dict[str, int | None]
    structure: cmi_scoring.Structure | None
    factor_names: dict[str, str]
    as_of: Any


def account_inputs(account: Account, now=None) -> AccountInputs | None:
    """The account's latest metric values and latest submitted answers on the primary
    framework; None without an active scorecard and a primary framework."""
    card = card_current()
    framework = framework_primary()
    if card is None or framework is None:
        return None
    now = now or timezone.now()
    latest = latest_values([account.pk], {m.metric for m in card.measures}, now)
    rows = latest_answers(Chunk.of([account.pk]), framework)
    answers = {
        str(f): (None if pd.isna(s) else int(s))
        for f, s in zip(rows["factor"], rows["score"], strict=True)
    }
    version = framework.current
    names = dict(Factor.objects.filter(pillar__version=version).values_list("key", "name"))
    return AccountInputs(
        account.pk, latest, card, answers, framework_structure(version), names, pd.Timestamp(now)
    )


def model_cell(inputs: AccountInputs, latest=None, answers=None) -> tuple[str, Any, Any]:
    """(cell, CHS, CMI) that the scoring modules give these inputs (overrides aside)."""
    latest = inputs.latest if latest is None else latest
    answers = inputs.answers if answers is None else answers
    chs = nextmoves.chs_of(latest, inputs.card, inputs.account, inputs.as_of)
    cmi = nextmoves.cmi_of(answers, inputs.structure) if inputs.structure and answers else None
    tiers = inputs.structure.tiers if inputs.structure else []
    return nextmoves.cell_of(chs, cmi, inputs.card.levels, tiers), chs, cmi


def account_next_moves(account: Account, now=None) -> list[nextmoves.Move]:
    """What moves the account to each better neighbouring cell (segments.nextmoves)."""
    inputs = account_inputs(account, now)
    if inputs is None or inputs.structure is None:
        return []
    structure = inputs.structure
    cell, chs, cmi = model_cell(inputs)
    return nextmoves.next_moves(
        cell=cell,
        chs_search=lambda target: nextmoves.chs_changes(
            inputs.latest, inputs.card, inputs.account, inputs.as_of, target
        ),
        cmi_search=lambda target: nextmoves.cmi_changes(
            inputs.answers, structure, inputs.factor_names, target
        ),
        levels=inputs.card.levels,
        tiers=structure.tiers,
        chs=chs,
        cmi=cmi,
    )
