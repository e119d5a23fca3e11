"""The hooks and registries through which lower apps let higher ones act."""

import pytest

from core.derivation import CauseKind, providers, providers_redone
from core.hooks import Hook


def test_a_hook_calls_what_is_registered_in_order_once_each():
    hook = Hook("test")
    hook.register("posixpath.basename")
    hook.register("posixpath.dirname")
    hook.register("posixpath.basename")
    assert hook(p="/a/b") == ["b", "/a"]
    assert Hook("empty")() == []


def test_a_required_hook_with_nothing_registered_refuses_to_drop_the_call():
    with pytest.raises(RuntimeError, match="Nothing is registered"):
        Hook("lost", required=True)(organization=None)


def test_the_providers_run_cmi_then_chs_then_the_cell():
    assert [p.key for p in providers()] == ["cmi", "chs", "cell"]


@pytest.mark.parametrize(
    ("causes", "redone"),
    [
        ([CauseKind.ASSESSMENT], {"cmi", "cell"}),
        ([CauseKind.FRAMEWORK], {"cmi", "cell"}),
        ([CauseKind.METRICS, CauseKind.OVERRIDE], {"chs", "cell"}),
        ([CauseKind.DAILY], {"chs", "cell"}),
        ([CauseKind.ASSESSMENT, CauseKind.SCORECARD], {"cmi", "chs", "cell"}),
        ([CauseKind.MANUAL], {"cmi", "chs", "cell"}),  # named by no provider: everything
        ([CauseKind.DEMO], {"cmi", "chs", "cell"}),
    ],
)
def test_a_drain_redoes_the_providers_its_causes_can_have_changed(causes, redone):
    assert providers_redone(causes) == redone


@pytest.mark.django_db
def test_an_organization_has_its_grid_from_its_creation_and_a_get_writes_none(
    client_for, in_tenant
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segments.models import Grid, GridCell
    from tenancy.services import organization_create, user_get_or_create

    owner, _ = user_get_or_create(email="owner@gamma.test", password="a-long-pass-phrase")
    organization = organization_create(name="Gamma", slug="gamma", owner=owner)
    with in_tenant(organization):
        assert Grid.objects.count() == 1
        assert GridCell.objects.filter(layout="3x3").count() == 9
        assert GridCell.objects.filter(layout="2x2").count() == 4
    client = client_for(owner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/segments/").status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert not [sql for sql in writes if "segments_grid" in sql]
