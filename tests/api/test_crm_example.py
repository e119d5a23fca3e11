"""examples/crm_sync.py runs against a live server and a real worker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Account

from ..conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.django_db(transaction=True)
def test_the_crm_example_pushes_and_pulls(
    worker, live_server, org_a, cmi_framework, chs_card, key_for, in_tenant, tmp_path
):
    from tenancy.services import api_key_create

    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="example")[1]
    env = {
        **os.environ,
        "ASCEND_URL": live_server.url,
        "ASCEND_API_KEY": key,
        "ASCEND_CURSOR_FILE": str(tmp_path / "cursor"),
    }

    def run():
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "crm_sync.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = run()
    assert "accounts: 2 created, 0 updated" in first and "metrics: 4 stored" in first
    assert "assessment: CMI 4.8 for SF-0001" in first
    with in_tenant(org_a):
        globex = Account.objects.get(external_id="SF-0001")

    def segmented():
        """the worker placed the account on the grid"""
        with in_tenant(org_a):
            return Account.objects.get(pk=globex.pk).segment

    assert wait_for(segmented) == "expand_and_leverage"
    second = run()
    assert "accounts: 0 created, 2 updated" in second
    assert "migration: SF-0001 unsegmented -> expand_and_leverage" in second
    with in_tenant(org_a):
        globex = Account.objects.get(pk=globex.pk)
    assert (
        f"changed: SF-0001 CHS {globex.chs:.0f} ({globex.chs_level}), CMI 4.8 "
        f"({globex.cmi_tier}), cell expand_and_leverage"
    ) in second
    third = run()
    assert "migrations pulled: 0" in third  # the cursor file: nothing is repeated
    # The run's own upsert touched both accounts again; nothing else changed.
    assert "changes pulled: 2" in third


def test_the_crm_example_says_plainly_when_the_server_is_down(tmp_path):
    import socket

    with socket.socket() as closed:  # a port nothing listens on once this block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "crm_sync.py")],
        env={
            **os.environ,
            "ASCEND_URL": f"http://127.0.0.1:{port}",
            "ASCEND_API_KEY": "any",
            "ASCEND_CURSOR_FILE": str(tmp_path / "cursor"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"Cannot reach Ascend at http://127.0.0.1:{port}")
    assert "Traceback" not in result.stderr
