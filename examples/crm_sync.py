"""A CRM keeping Ascend in sync, with nothing but the standard library.

    ASCEND_URL=http://127.0.0.1:8000 ASCEND_API_KEY=... python examples/crm_sync.py

1. pushes accounts (bulk upsert by the CRM's ids), safely retryable with an Idempotency-Key;
2. pushes health metrics for them;
3. pulls tier migrations from the feed, remembering the cursor in a file between runs.
"""

import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

BASE = os.environ.get("ASCEND_URL", "http://127.0.0.1:8000").rstrip("/")
KEY = os.environ["ASCEND_API_KEY"]
CURSOR_FILE = Path(os.environ.get("ASCEND_CURSOR_FILE", ".ascend-cursor"))


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
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path} failed with {error.code}: {error.read().decode()[:500]}")


def main():
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

    cursor = CURSOR_FILE.read_text().strip() if CURSOR_FILE.exists() else ""
    events = 0
    while True:
        page = api("GET", f"migrations/?limit=500{'&since=' + cursor if cursor else ''}")
        for event in page["results"]:
            events += 1
            source = event["from_segment"] or "unsegmented"
            target = event["to_segment"] or "unsegmented"
            print(f"migration: {event['external_id'] or event['account']} {source} -> {target}")
        cursor = page["next"]
        CURSOR_FILE.write_text(cursor)
        if not page["more"]:
            break
    print(f"migrations pulled: {events}")


if __name__ == "__main__":
    main()
