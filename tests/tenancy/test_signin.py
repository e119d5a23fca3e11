"""Sign-in throttling (django-axes): per email and per address, paused, never locked for good."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests"


def sign_in(client, email, password, address="203.0.113.7"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def wrong_passwords(client, email, count, address="203.0.113.7"):
    for n in range(count):
        response = sign_in(client, email, f"wrong-{n}", address)
        assert response.status_code in (200, 429)


def test_the_right_password_after_the_limit_of_wrong_ones_is_refused_with_a_clear_page(
    client, alice
):
    wrong_passwords(client, alice.email, settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, alice.email, RIGHT)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many wrong passwords" in page
    assert f"paused for {round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)} minutes" in page
    assert f'value="{alice.email}"' in page  # what was typed is kept


def test_the_limit_is_per_email_whatever_the_address(client, alice):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, alice.email, f"wrong-{n}", address=f"198.51.100.{n + 1}")
    assert sign_in(client, alice.email, RIGHT, address="192.0.2.200").status_code == 429
    assert not signed_in(client)


def test_the_count_is_one_per_email_whatever_its_case(client, alice):
    for n in range(settings.AXES_FAILURE_LIMIT):
        email = alice.email.upper() if n % 2 else f" {alice.email}"
        sign_in(client, email, f"wrong-{n}", address=f"198.51.100.{n + 1}")
    assert sign_in(client, alice.email, RIGHT, address="192.0.2.200").status_code == 429


def test_the_limit_is_per_address_whatever_the_email(client, alice, bob):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess-{n}@example.com", "wrong")
    assert sign_in(client, bob.email, RIGHT).status_code == 429
    assert sign_in(client, bob.email, RIGHT, address="192.0.2.50").status_code == 302
    assert signed_in(client)


def test_the_pause_ends_by_itself(client, alice):
    """A stranger cannot hold anyone out for good: once the cool-off has passed (the attempts
    are moved back in time rather than waited for), the right password works."""
    wrong_passwords(client, alice.email, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, alice.email, RIGHT).status_code == 429
    earlier = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= earlier
        attempt.save()
    assert sign_in(client, alice.email, RIGHT).status_code == 302
    assert signed_in(client)


def test_a_right_password_resets_the_count(client, alice):
    wrong_passwords(client, alice.email, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, alice.email, RIGHT).status_code == 302
    client.logout()
    wrong_passwords(client, alice.email, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, alice.email, RIGHT).status_code == 302
