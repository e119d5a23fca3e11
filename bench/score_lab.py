"""The Score Lab's backtest on a large tenant: time, the as-of read's share, peak memory.

    .venv/bin/python bench/score_lab.py [--accounts 100000] [--months 12] [--outcomes 24000]

Seeds a tenant (common.tenant_seed: one value per metric and one assessment per account),
widens it to a value per metric per month for `--months` months and a quarterly assessment
for a year, adds `--outcomes` renewal outcomes over the last 180 days, then runs the
backtest as the worker does (`outcomes.asof.asof_frame` and `outcomes.backtest.figures`)
and both calibrations on the same as-of table.
The baseline, measured in the same run, is one sequential read of the same metric values
(`SELECT count(*), max(observed_at)`): the as-of read cannot cost less than reading them.
Prints seconds per phase (from the backtest's own progress marks), the ratio to the
baseline and the peak RSS; writes bench/results/score_lab.json. The issue's target: under
60 s and 2 GiB at 100,000 accounts, ~12 million values and 24,000 outcomes.
"""

import argparse
import resource
import time

from common import execute, result_write, setup, step, tenant_seed, unique
from tenant_recompute import METRICS


def widen(organization, months: int, outcomes: int) -> None:
    from tenancy.context import tenant_context

    with tenant_context(organization.id):
        step(f"  {months - 1} older monthly values per metric")
        execute(
            """INSERT INTO health_metricvalue (metric, number, text, observed_at, source,
                 created_at, account_id, organization_id)
               SELECT m.metric, m.number, m.text, m.observed_at - d * interval '1 month',
                 m.source, m.created_at, m.account_id, m.organization_id
               FROM health_metricvalue m CROSS JOIN generate_series(1, %s) AS d""",
            [months - 1],
        )
        step("  three older quarterly assessments per account")
        execute(
            """INSERT INTO maturity_assessment (status, created_at, submitted_at, tier,
                 pillar_scores, is_partial, unscored_comments, account_id, organization_id,
                 version_id)
               SELECT s.status, s.created_at, s.submitted_at - d * interval '3 months', '',
                 '{}', false, '{}', s.account_id, s.organization_id, s.version_id
               FROM maturity_assessment s CROSS JOIN generate_series(1, 3) AS d"""
        )
        execute(
            """INSERT INTO maturity_answer (factor_key, score, comment, organization_id,
                 assessment_id)
               SELECT k.factor_key, 1 + floor(random() * 5)::int, '', s.organization_id, s.id
               FROM maturity_assessment s
               CROSS JOIN (SELECT DISTINCT factor_key FROM maturity_answer) AS k
               WHERE NOT EXISTS (SELECT 1 FROM maturity_answer a WHERE a.assessment_id = s.id)"""
        )
        step(f"  {outcomes} outcomes")
        execute(
            """INSERT INTO outcomes_outcome (kind, occurred_on, arr_before, arr_after, reason,
                 source, created_at, account_id, organization_id)
               SELECT CASE WHEN random() < 0.12 THEN 'churned' ELSE 'renewed' END,
                 current_date - floor(random() * 180)::int, 1000, 1000, '', 'api', now(),
                 a.id, a.organization_id
               FROM (SELECT id, organization_id FROM accounts_account ORDER BY random()
                     LIMIT %s) AS a""",
            [outcomes],
        )
        execute("UPDATE outcomes_outcome SET arr_after = 0 WHERE kind = 'churned'")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--outcomes", type=int, default=24_000)
    options = parser.parse_args()
    setup()
    from django.db import connection

    from outcomes.asof import asof_frame, model_current
    from outcomes.calibration import framework_calibration, scorecard_calibration
    from outcomes.reports import figures_of
    from tenancy.context import tenant_context

    organization = tenant_seed(unique("lab"), options.accounts, score=None, metrics=METRICS)
    widen(organization, options.months, options.outcomes)
    with tenant_context(organization.id):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), max(observed_at) FROM health_metricvalue")
            values = cursor.fetchone()[0]
        baseline = time.perf_counter() - started
        marks = []
        started = time.perf_counter()
        table = asof_frame(90, progress=lambda share: marks.append(time.perf_counter()))
        as_of = time.perf_counter() - started
        begun = time.perf_counter()
        model = model_current()
        figures = figures_of(table, 90, model)
        compute = time.perf_counter() - begun
        begun = time.perf_counter()
        pillars = framework_calibration(table, dict(model.structure.weights))
        fit_framework = time.perf_counter() - begun
        begun = time.perf_counter()
        measures = scorecard_calibration(table, model.card)
        fit_scorecard = time.perf_counter() - begun
    read = marks[1] - marks[0] if len(marks) > 1 else None  # 0.1 → 0.4: the metric read
    total = as_of + compute
    result = {
        "accounts": options.accounts,
        "metric_values": values,
        "outcomes": figures["outcomes"],
        "baseline_read_seconds": round(baseline, 2),
        "as_of_seconds": round(as_of, 2),
        "metric_read_seconds": round(read, 2) if read else None,
        "figures_seconds": round(compute, 2),
        "total_seconds": round(total, 2),
        "metric_read_share": round(read / total, 2) if read else None,
        "total_over_baseline": round(total / baseline, 1),
        # A calibration reads the same as-of table, then fits: its time is the read's plus
        # its own fit (the framework's pillars, the scorecard's measures).
        "framework_fit_seconds": round(fit_framework, 2),
        "framework_calibration_seconds": round(as_of + fit_framework, 2),
        "framework_verdict": pillars["verdict"],
        "scorecard_fit_seconds": round(fit_scorecard, 2),
        "scorecard_calibration_seconds": round(as_of + fit_scorecard, 2),
        "scorecard_verdict": measures["verdict"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    step(str(result))
    result_write("score_lab", result)


if __name__ == "__main__":
    main()
