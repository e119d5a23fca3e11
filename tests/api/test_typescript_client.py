"""An integrator's TypeScript client: openapi-typescript types the served schema (printing no
warning), `tsc --strict` compiles tests/api/typescript/sync.ts against those types, and the
compiled sync runs through openapi-fetch against a live server and a real worker."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import uniform
from ..served_schema import served_spec

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
SOURCE = Path(__file__).parent / "typescript" / "sync.ts"
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noUncheckedIndexedAccess": False,
        "target": "es2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "outDir": "out",
        "skipLibCheck": True,
        "types": [],
        "lib": ["es2022", "dom"],
    },
    "files": ["sync.ts", "schema.d.ts"],
}


def run(*command, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    """A directory holding the generated types and the compiled sync."""
    where = tmp_path_factory.mktemp("typescript")
    (where / "node_modules").symlink_to(ROOT / "node_modules")
    (where / "package.json").write_text(json.dumps({"type": "module", "private": True}))
    (where / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (where / "schema.json").write_text(json.dumps(served_spec()))
    shutil.copy(SOURCE, where / "sync.ts")
    generated = run(NODE_BIN / "openapi-typescript", "schema.json", "-o", "schema.d.ts", cwd=where)
    assert "⚠" not in generated and "warn" not in generated.lower(), generated
    run(NODE_BIN / "tsc", "-p", "tsconfig.json", cwd=where)
    return where


def test_the_generated_types_refuse_a_call_the_schema_does_not_allow(compiled):
    """The compile is a real check: a body missing a required field does not compile."""
    wrong = compiled / "wrong"
    wrong.mkdir()
    (wrong / "node_modules").symlink_to(ROOT / "node_modules")
    shutil.copy(compiled / "schema.d.ts", wrong / "schema.d.ts")
    (wrong / "package.json").write_text(json.dumps({"type": "module"}))
    (wrong / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (wrong / "sync.ts").write_text(
        SOURCE.read_text().replace(
            '{ external_id: "SF-2", name: "Initech", industry: "" }', '{ external_id: "SF-2" }'
        )
    )
    result = subprocess.run(
        [str(NODE_BIN / "tsc"), "-p", "tsconfig.json"],
        cwd=wrong,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "name" in result.stdout and "sync.ts" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_typescript_client_drives_a_sync(
    compiled, worker, live_server, org_a, cmi_framework, chs_card, in_tenant
):
    from accounts.models import AccountDeletion
    from tenancy.services import api_key_create

    with in_tenant(org_a):
        key = api_key_create(organization=org_a, name="typescript")[1]
    output = run(
        "node",
        compiled / "out" / "sync.js",
        cwd=compiled,
        env={
            "ASCEND_URL": live_server.url,
            "ASCEND_KEY": key,
            "ASCEND_ANSWERS": json.dumps(uniform(5)),
        },
    )
    seen = json.loads(output.strip().splitlines()[-1])
    with in_tenant(org_a):
        globex = AccountDeletion.objects.get(external_id="SF/1").account_id
    chs = seen.pop("chs")
    assert seen == {
        "created": 2,
        "cmi": 5.0,
        "to_segment": "expand_and_leverage",
        "segment": "expand_and_leverage",
        "found": True,
        "missing": {"status": 404, "code": "not_found"},
        "deleted": 204,
        "kept": {"account": globex, "deleted": True},
    }
    assert 0 <= chs <= 100
