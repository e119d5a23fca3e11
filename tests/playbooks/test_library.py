"""The playbook library in the browser: defaults from the seeds, and managers' editing."""

import pytest
from django.urls import reverse

from playbooks.models import Playbook
from playbooks.services import defaults_load
from segments.cells import GRID_3X3

from ..conftest import formset_data

pytestmark = pytest.mark.django_db


def test_the_defaults_cover_the_decks_recipes_and_the_industry_seeds():
    shipped = {spec["key"]: spec for spec in defaults_load()}
    cells = {cell for spec in shipped.values() for cell in spec["cells"]}
    assert cells <= set(GRID_3X3.values())
    assert shipped["expand_business"]["cells"] == ["expand_and_leverage"]
    assert shipped["tailored_training"]["cells"][0] == "save"
    assert set(shipped["review_ltv_gross_margin"]["cells"]) == {
        "review_ltv_gm_medium",
        "review_ltv_gm_low",
    }
    assert shipped["let_churn"]["cells"] == ["churn"]
    assert {spec["isic_codes"][0] for spec in shipped.values() if spec.get("isic_codes")} == {
        "8422",
        "4651",
    }
    assert all(spec["steps"] for spec in shipped.values())


def test_adding_defaults_twice_adds_them_once(mike, org_a, client_for, in_tenant):
    client = client_for(mike)
    client.post(reverse("playbooks:list"))
    client.post(reverse("playbooks:list"))
    with in_tenant(org_a):
        assert Playbook.objects.count() == len(defaults_load())
    assert "Consult on process governance" in client.get(reverse("playbooks:list")).content.decode()


def new_playbook_data(client, **fields):
    page = client.get(reverse("playbooks:new"))
    data = formset_data(page.context, "steps")
    data.update(
        {
            "name": "Renewal rescue",
            "purpose": "Save renewals at risk",
            "cells": ["save", "churn"],
            "cooldown_days": "14",
            "is_active": "on",
            "isic_codes": "8422, 4651",
            "steps-0-title": "Call the sponsor",
            "steps-0-due_offset_days": "2",
            "steps-0-owner_role": "csm",
            "steps-0-ORDER": "2",
            "steps-1-title": "Review the contract",
            "steps-1-due_offset_days": "5",
            "steps-1-owner_role": "manager",
            "steps-1-ORDER": "1",
        }
    )
    data.update(fields)
    return data


def test_a_manager_creates_a_playbook_with_ordered_steps(mike, org_a, client_for, in_tenant):
    client = client_for(mike)
    response = client.post(reverse("playbooks:new"), new_playbook_data(client))
    assert response.status_code == 302
    with in_tenant(org_a):
        playbook = Playbook.objects.get(name="Renewal rescue")
        steps = list(playbook.steps.values_list("title", "owner_role", "due_offset_days"))
    assert (playbook.cells, playbook.isic_codes, playbook.cooldown_days) == (
        ["save", "churn"],
        ["8422", "4651"],
        14,
    )
    assert steps == [("Review the contract", "manager", 5), ("Call the sponsor", "csm", 2)]


def test_errors_are_shown_and_what_was_typed_is_kept(mike, org_a, client_for, in_tenant):
    client = client_for(mike)
    data = new_playbook_data(client, cells=[], isic_codes="84x2")
    for row in ("0", "1"):  # both step rows left as they were offered: blank
        data.update({f"steps-{row}-title": "", f"steps-{row}-ORDER": ""})
        data.update({f"steps-{row}-due_offset_days": "7", f"steps-{row}-owner_role": "csm"})
    response = client.post(reverse("playbooks:new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page  # no cell chosen
    assert "Not ISIC classes: 84x2" in page
    assert 'value="Renewal rescue"' in page and "Save renewals at risk" in page
    assert "A playbook needs at least one step." in page
    with in_tenant(org_a):
        assert not Playbook.objects.exists()


def test_editing_replaces_the_steps_but_not_running_tasks(
    mike, org_a, account_a, defaults, move, client_for, in_tenant
):
    from .conftest import EXPAND

    move(account_a, *EXPAND)
    playbook = defaults["expand_business"]
    client = client_for(mike)
    page = client.get(reverse("playbooks:edit", args=[playbook.pk]))
    data = formset_data(page.context, "steps")
    data.update({k: v for k, v in page.context["form"].initial.items() if v not in (None, False)})
    data.update({"cells": playbook.cells, "isic_codes": "", "is_active": "on"})
    data["steps-0-title"] = "Map expansion opportunities (with finance)"
    response = client.post(reverse("playbooks:edit", args=[playbook.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    with in_tenant(org_a):
        assert playbook.steps.order_by("position").first().title.endswith("(with finance)")
        task = playbook.runs.get().tasks.order_by("position").first()
    assert task.title == "Map expansion opportunities"


def test_csms_and_viewers_read_the_library_but_do_not_edit(bob, vera, defaults, client_for):
    playbook = defaults["let_churn"]
    for user in (bob, vera):
        client = client_for(user)
        assert client.get(reverse("playbooks:list")).status_code == 200
        assert client.get(reverse("playbooks:detail", args=[playbook.pk])).status_code == 200
        assert client.get(reverse("playbooks:edit", args=[playbook.pk])).status_code == 403
        assert client.post(reverse("playbooks:new"), {"name": "x"}).status_code == 403
        assert client.post(reverse("playbooks:list")).status_code == 403
