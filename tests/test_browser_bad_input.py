"""Browser forms under hostile input: each answers a form error (keeping what was typed) or
a 404, never a 500, and stores nothing."""

import pytest
from django.urls import reverse

from .conftest import formset_data

pytestmark = pytest.mark.django_db

LONG_KEY = "k" * 61


@pytest.fixture
def framework_page(mike, cmi_framework, client_for):
    client = client_for(mike)
    url = reverse("maturity:framework", args=[cmi_framework.pk])
    data = formset_data(client.get(url).context, "pillar_set", "factor_set", "tier_set")
    return client, url, data


@pytest.fixture
def scorecard_page(mike, chs_card, client_for):
    client = client_for(mike)
    url = reverse("health:scorecard", args=[chs_card.pk])
    data = formset_data(client.get(url).context, "groups", "measures", "levels")
    return client, url, data


def refused(client, url, data, *expected: str) -> str:
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html, text
    return html


def versions(framework, org, in_tenant) -> int:
    with in_tenant(org):
        return framework.versions.count()


def test_a_factor_in_an_unknown_pillar_is_a_form_error(
    framework_page, cmi_framework, org_a, in_tenant
):
    client, url, data = framework_page
    data["factors-0-name"] = "Renamed, kept"
    data["factors-0-pillar"] = "nowhere"
    refused(client, url, data, "which this framework does not have", 'value="Renamed, kept"')
    assert versions(cmi_framework, org_a, in_tenant) == 1


@pytest.mark.parametrize("field", ["pillars-0-key", "factors-0-key", "factors-0-pillar"])
def test_a_framework_key_over_60_characters_is_a_form_error(
    framework_page, field, cmi_framework, org_a, in_tenant
):
    client, url, data = framework_page
    data[field] = LONG_KEY
    refused(client, url, data, "at most 60 characters")
    assert versions(cmi_framework, org_a, in_tenant) == 1


def test_a_measure_in_an_unknown_group_is_a_form_error(scorecard_page, chs_card, org_a, in_tenant):
    client, url, data = scorecard_page
    data["measures-0-group"] = "9"
    refused(client, url, data, "is in group 10, which this scorecard does not have")
    data["measures-0-group"] = "nowhere"
    refused(client, url, data, "Group “nowhere”: Enter a whole number.")


@pytest.mark.parametrize("field", ["groups-0-key", "measures-0-key"])
def test_a_scorecard_key_over_60_characters_is_a_form_error(scorecard_page, field):
    client, url, data = scorecard_page
    data[field] = LONG_KEY
    refused(client, url, data, "at most 60 characters")


@pytest.mark.parametrize("value", ["NaN", "1e999", "-Infinity", "1" + "0" * 400, "ten"])
def test_a_rule_parameter_that_is_no_finite_number_is_a_form_error(
    scorecard_page, value, chs_card, org_a, in_tenant
):
    from health.models import Measure

    client, url, data = scorecard_page
    with in_tenant(org_a):
        before = list(Measure.objects.order_by("pk").values_list("params", flat=True))
    data["measures-0-linear_from"] = value  # product usage: a linear rule
    html = refused(client, url, data, "Enter a number.")
    assert f'value="{value}"' in html  # what was typed stays
    with in_tenant(org_a):
        assert list(Measure.objects.order_by("pk").values_list("params", flat=True)) == before


def test_an_extra_cell_in_the_grid_form_is_a_form_error(mike, org_a, client_for, in_tenant):
    from segments.models import GridCell
    from segments.selectors import grid_current

    with in_tenant(org_a):
        cells = list(grid_current().cells.all())
    count = len(cells)
    data = {"grid-view": "3x3", "cells-TOTAL_FORMS": count + 1, "cells-INITIAL_FORMS": count}
    for i, cell in enumerate([*cells, None]):
        data.update(
            {
                f"cells-{i}-id": cell.pk if cell else "",
                f"cells-{i}-name": cell.name if cell else "Smuggled",
                f"cells-{i}-action": cell.action if cell else "x",
                f"cells-{i}-colour": cell.colour if cell else "#000000",
            }
        )
    html = refused(client_for(mike), reverse("segments:grid"), data)
    assert f"at most {count}" in html
    with in_tenant(org_a):
        assert GridCell.objects.count() == count


@pytest.mark.parametrize(
    "url_name, content",
    [
        ("accounts:import", b"external_id,name\nC-1,Nul\x00Corp\n"),
        ("health:metrics_import", b"external_id,metric,value,observed_at\nC-1,nps,5\x00,\n"),
    ],
)
def test_a_nul_byte_in_a_csv_is_refused_at_upload_with_its_line(
    url_name, content, mike, client_for, org_a, in_tenant
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import ImportJob

    upload = SimpleUploadedFile("file.csv", content, content_type="text/csv")
    response = client_for(mike).post(reverse(url_name), {"file": upload, "mode": "all"})
    assert response.status_code == 200
    assert "Line 2 holds a NUL byte" in response.content.decode()
    with in_tenant(org_a):
        assert not ImportJob.objects.exists()


def test_a_staff_user_with_no_organization_gets_the_admin_without_a_500(client):
    from .factories import UserFactory

    staff = UserFactory(email="staff@ascend.test", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    for path in ("/admin/accounts/account/", "/admin/tenancy/membership/", "/admin/tenancy/user/"):
        assert client.get(path).status_code in (200, 403), path
