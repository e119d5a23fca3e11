"""The accounts resource of the REST API, with API keys and browser sessions."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from tenancy.models import OrganizationAPIKey
from tenancy.services import api_key_create, api_key_revoke

from ..problems import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_a(org_a, in_tenant):
    with in_tenant(org_a):
        return api_key_create(organization=org_a, name="CRM")[1]


@pytest.fixture
def key_b(org_b, in_tenant):
    with in_tenant(org_b):
        return api_key_create(organization=org_b, name="CRM B")[1]


def api(key=None):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_key_lists_its_organizations_accounts(key_a, account_a, account_b):
    response = api(key_a).get("/api/v1/accounts/")
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == ["Acme (A)"]


def test_a_key_records_when_it_was_last_used(key_a, org_a, in_tenant):
    api(key_a).get("/api/v1/accounts/")
    with in_tenant(org_a):
        assert OrganizationAPIKey.objects.get().last_used_at is not None


def test_a_key_records_its_use_at_most_once_a_minute(key_a, org_a, in_tenant):
    """The write locks the key's row for the whole request: once a minute, not per call."""
    from datetime import timedelta

    from django.utils import timezone

    api(key_a).get("/api/v1/accounts/")
    with in_tenant(org_a):
        first = OrganizationAPIKey.objects.get().last_used_at
    api(key_a).get("/api/v1/accounts/")
    with in_tenant(org_a):
        assert OrganizationAPIKey.objects.get().last_used_at == first
        OrganizationAPIKey.objects.update(last_used_at=first - timedelta(minutes=2))
    api(key_a).get("/api/v1/accounts/")
    with in_tenant(org_a):
        assert OrganizationAPIKey.objects.get().last_used_at > first - timedelta(seconds=5)
        assert OrganizationAPIKey.objects.get().last_used_at <= timezone.now()


def test_another_organizations_account_is_404(key_b, account_a):
    client = api(key_b)
    assert client.get(f"/api/v1/accounts/{account_a.pk}/").status_code == 404
    assert client.patch(f"/api/v1/accounts/{account_a.pk}/", {"name": "x"}).status_code == 404
    assert client.delete(f"/api/v1/accounts/{account_a.pk}/").status_code == 404


@pytest.mark.parametrize("header", [None, "Api-Key nonsense", "Api-Key abc.def"])
def test_missing_or_wrong_keys_are_401(header, account_a):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_is_401(key_a, org_a, in_tenant):
    with in_tenant(org_a):
        api_key_revoke(api_key=OrganizationAPIKey.objects.get())
    assert api(key_a).get("/api/v1/accounts/").status_code == 401


def test_create_and_update_with_a_key(key_a, bob, org_a, in_tenant):
    client = api(key_a)
    created = client.post(
        "/api/v1/accounts/",
        {
            "name": "Zeta",
            "external_id": "Z-1",
            "arr": "1200.50",
            "owner_csm": "bob@alpha.test",
            "size_band": "large",
            "isic_code": "8422",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner_csm"] == "bob@alpha.test" and body["arr"] == "1200.50"
    updated = client.patch(f"/api/v1/accounts/{body['id']}/", {"region": "APAC"}, format="json")
    assert updated.status_code == 200
    with in_tenant(org_a):
        account = Account.objects.get(external_id="Z-1")
    assert account.region == "APAC" and account.organization_id == org_a.id


def test_bad_input_is_400_with_a_message_per_field(key_a, account_a, carol):
    response = api(key_a).post(
        "/api/v1/accounts/",
        {
            "external_id": account_a.external_id,
            "arr": "-5",
            "size_band": "huge",
            "isic_code": "12",
            "owner_csm": "carol@beta.test",
            "renewal_date": "tomorrow",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(errors(response)) == {
        "name",
        "external_id",
        "arr",
        "size_band",
        "isic_code",
        "owner_csm",
        "renewal_date",
    }


def test_filters_and_updated_since(key_a, org_a):
    from ..factories import AccountFactory

    AccountFactory(organization=org_a, name="In EMEA", region="EMEA")
    AccountFactory(organization=org_a, name="In APAC", region="APAC")
    client = api(key_a)
    names = [a["name"] for a in client.get("/api/v1/accounts/?region=APAC").json()["results"]]
    assert names == ["In APAC"]
    future = client.get("/api/v1/accounts/?updated_since=2999-01-01T00:00:00Z").json()
    assert future["results"] == []


def test_a_viewer_session_reads_but_cannot_write(vera, account_a):
    client = APIClient()
    client.force_login(vera)
    assert client.get(f"/api/v1/accounts/{account_a.pk}/").status_code == 200
    assert client.patch(f"/api/v1/accounts/{account_a.pk}/", {"name": "x"}).status_code == 403


def test_a_csm_session_changes_only_their_own_accounts(bob, org_a, account_a):
    from ..factories import AccountFactory

    other = AccountFactory(organization=org_a)
    client = APIClient()
    client.force_login(bob)
    assert client.patch(f"/api/v1/accounts/{account_a.pk}/", {"region": "NA"}).status_code == 200
    assert client.patch(f"/api/v1/accounts/{other.pk}/", {"region": "NA"}).status_code == 403


def test_session_writes_need_the_csrf_token(mike, account_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(mike)
    response = client.patch(f"/api/v1/accounts/{account_a.pk}/", {"name": "x"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_list_renders_each_account_as_the_serializer_does(key_a, org_a, bob, in_tenant):
    """The list reads values() rows instead of instances: its JSON must not drift from the
    serializer's (nulls, money, dates, floats, a CSM or none, a cell or none, any text)."""
    import datetime
    from decimal import Decimal

    from accounts.api.serializers import AccountSerializer

    from ..factories import AccountFactory

    plain = AccountFactory(organization=org_a, name='Ünïcode "quoted" \\ café', arr=0)
    rich = AccountFactory(
        organization=org_a,
        owner_csm=bob,
        arr=Decimal("1234567890.5"),
        renewal_date=datetime.date(2027, 2, 28),
        external_id=None,
        industry="",
    )
    with in_tenant(org_a):
        Account.objects.filter(pk=rich.pk).update(
            cmi=2.4499999999999997, cmi_tier="Developing", chs=71.25, segment="expand"
        )
        expected = AccountSerializer(Account.objects.order_by("-id"), many=True).data
    results = api(key_a).get("/api/v1/accounts/").json()["results"]
    assert results == [dict(item) for item in expected]
    assert [r["id"] for r in results] == [rich.pk, plain.pk]
    assert results[0]["owner_csm"] == "bob@alpha.test" and results[1]["owner_csm"] is None
    assert results[0]["segment"] == "expand" and results[1]["segment"] is None
    assert results[0]["arr"] == "1234567890.50" and results[0]["cmi"] == 2.4499999999999997


def test_the_values_renderer_refuses_a_field_that_is_not_a_column():
    from rest_framework import serializers

    from core.api import values_renderer

    class Computed(serializers.Serializer):
        name = serializers.CharField()
        label = serializers.SerializerMethodField()

    with pytest.raises(TypeError, match="label is not a column"):
        values_renderer(Computed())


def test_filters_validate_and_an_unknown_parameter_is_refused_by_name(key_a, account_a):
    client = api(key_a)
    bad = client.get("/api/v1/accounts/?size_band=enormous")
    assert bad.status_code == 400 and "size_band" in errors(bad)
    typo = client.get("/api/v1/accounts/?regoin=EMEA&colour=red")
    assert typo.status_code == 400 and set(errors(typo)) == {"regoin", "colour"}
    assert "region" in errors(typo)["regoin"][0]  # it lists what the operation takes
    names = [a["name"] for a in client.get("/api/v1/accounts/?region=").json()["results"]]
    assert names == ["Acme (A)"]
    assert client.get("/api/v1/accounts/?q=nothing-like-it").json()["results"] == []


def test_a_parameter_names_a_filter_by_its_name_or_a_range_suffix(rf):
    import django_filters
    from rest_framework.request import Request

    from core.api import _names_a_filter

    class Ranged(django_filters.FilterSet):
        arr = django_filters.RangeFilter()
        region = django_filters.CharFilter()

    def names(query):
        return _names_a_filter(Request(rf.get(f"/?{query}")), Ranged)

    assert names("region=EMEA") and names("arr_min=5") and names("arr_max=")
    assert not names("page_size=10&cursor=abc&ordering=-id&arrival=1")


def test_the_list_renders_times_in_the_active_time_zone(key_a, org_a, account_a, in_tenant):
    """The list's renderer is built once per time zone: a request in another zone must not
    get the times of the first one's."""
    from django.utils import timezone

    from accounts.api.serializers import AccountSerializer

    client = api(key_a)
    utc = client.get("/api/v1/accounts/").json()["results"][0]["created_at"]
    with timezone.override("Asia/Kolkata"):
        local = client.get("/api/v1/accounts/").json()["results"][0]["created_at"]
        with in_tenant(org_a):
            expected = AccountSerializer(Account.objects.get()).data["created_at"]
    assert utc.endswith("Z") and local.endswith("+05:30") and local == expected
