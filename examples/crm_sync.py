"""A CRM keeping Ascend in sync, with nothing but the standard library.

    ASCEND_URL=http://127.0.0.1:8000 ASCEND_API_KEY=... python examples/crm_sync.py

1. pushes accounts (bulk upsert by the CRM's ids), safely retryable with an Idempotency-Key;
2. pushes health metrics for them;
3. submits a maturity assessment for the first, so it reaches a grid cell;
4. pulls tier migrations from their feed, and every account whose scores or fields changed
   from the changes feed, remembering both cursors in a file between runs (nothing is missed
   or repeated, so no overlap between runs is needed).

A server that cannot be reached, or an error the API answers, ends it with a one-line message
(the API's problem `detail` and request id), not a traceback; a 429 waits as `Retry-After`
says and tries again.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

BASE = os.environ.get("ASCEND_URL", "http://127.0.0.1:8000").rstrip("/")
KEY = os.environ.get("ASCEND_API_KEY", "")
CURSOR_FILE = Path(os.environ.get("ASCEND_CURSOR_FILE", ".ascend-cursor"))
RETRIES_ON_429 = 5
# A maturity assessment as a CSM would give it: factor key -> 1..5 (null: unknown).
ASSESSMENT = {
    "clarity_of_charter": 5,
    "breadth_of_influence": 5,
    "title_of_functional_head": 5,
    "team_sophistication": 4,
    "team_size": 5,
    "success_track_record": 5,
    "process_quality": 5,
    "knowledge_management": 4,
    "team_integration": 5,
    "use_of_tools": 5,
    "use_of_reports": 5,
    "environment_complexity": 5,
}


def api(method: str, path: str, body=None, idempotency_key: str | None = None):
    request = urllib.request.Request(
        f"{BASE}/api/v1/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Api-Key {KEY}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    if idempotency_key:
        request.add_header("Idempotency-Key", idempotency_key)
    for attempt in range(RETRIES_ON_429 + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code == 429 and attempt < RETRIES_ON_429:
                wait = int(error.headers.get("Retry-After") or 1)
                print(f"rate limited: waiting {wait} s as the server asks")
                time.sleep(wait)
                continue
            sys.exit(f"{method} {path} failed: {_problem(error)}")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            sys.exit(f"Cannot reach Ascend at {BASE}: {reason}. Is the server running?")
    raise AssertionError("unreachable")


def _problem(error: urllib.error.HTTPError) -> str:
    """The API's problem document in one line: status, detail, every field message, id."""
    try:
        problem = json.loads(error.read())
    except ValueError:
        return f"HTTP {error.code}"
    fields = "; ".join(
        f"{e.get('pointer') or e.get('parameter') or 'body'}: {e['detail']}"
        for e in problem.get("errors", [])
    )
    return (
        f"{error.code} {problem.get('detail', '')}"
        + (f" ({fields})" if fields and len(problem.get("errors", [])) > 1 else "")
        + f" [request {problem.get('request_id', '?')}]"
    )


def main():
    if not KEY:
        sys.exit("Set ASCEND_API_KEY to an API key (Organization → API keys).")
    crm_accounts = [
        {
            "external_id": "SF-0001",
            "name": "Globex Defence",
            "industry": "Defence",
            "isic_code": "8422",
            "size_band": "large",
            "region": "EMEA",
            "arr": "250000",
        },
        {
            "external_id": "SF-0002",
            "name": "Initech Distribution",
            "industry": "IT wholesale",
            "isic_code": "4651",
            "size_band": "mid",
            "region": "North America",
            "arr": "60000",
        },
    ]
    pushed = api("POST", "accounts/bulk/", crm_accounts, idempotency_key=str(uuid.uuid4()))
    print(f"accounts: {pushed['created']} created, {pushed['updated']} updated")

    metrics = [
        {"external_id": "SF-0001", "metric": "nps", "value": 40},
        {"external_id": "SF-0001", "metric": "active_users_pct", "value": 64},
        {"external_id": "SF-0002", "metric": "nps", "value": -20},
        {"external_id": "SF-0002", "metric": "executive_relationship", "value": "weak"},
    ]
    stored = api("POST", "health-metrics/", metrics, idempotency_key=str(uuid.uuid4()))
    print(f"metrics: {stored['created']} stored")

    first_id = pushed["ids"][0]
    assessed = api(
        "POST",
        "assessments/",
        {"account": first_id, "answers": ASSESSMENT},
        idempotency_key=str(uuid.uuid4()),
    )
    print(f"assessment: CMI {assessed['cmi']:.1f} for {crm_accounts[0]['external_id']}")

    cursors = json.loads(CURSOR_FILE.read_text()) if CURSOR_FILE.exists() else {}

    def pull(feed: str, path: str, show) -> None:
        """Every page of a commit-ordered feed after the remembered cursor."""
        pulled = 0
        while True:
            cursor = cursors.get(feed)
            page = api("GET", f"{path}?limit=500{'&since=' + cursor if cursor else ''}")
            for item in page["results"]:
                pulled += 1
                print(show(item))
            cursors[feed] = page["next"]
            CURSOR_FILE.write_text(json.dumps(cursors))
            if not page["more"]:
                break
        print(f"{feed} pulled: {pulled}")

    def migration(event) -> str:
        source = event["from_segment"] or "unsegmented"
        target = event["to_segment"] or "unsegmented"
        gone = " (account deleted)" if event["account_deleted_at"] else ""
        return f"migration: {event['external_id'] or event['account']} {source} -> {target}{gone}"

    def change(account) -> str:
        chs = "-" if account["chs"] is None else f"{account['chs']:.0f} ({account['chs_level']})"
        cmi = "-" if account["cmi"] is None else f"{account['cmi']:.1f} ({account['cmi_tier']})"
        cell = account["segment"] or "unsegmented"
        return f"changed: {account['external_id']} CHS {chs}, CMI {cmi}, cell {cell}"

    pull("migrations", "migrations/", migration)
    pull("changes", "accounts/changes/", change)


if __name__ == "__main__":
    main()
