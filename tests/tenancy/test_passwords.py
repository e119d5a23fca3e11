"""Passwords and their links: reset links from SITE_URL, and the validators for everyone."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_a_reset_link_points_at_the_site_whatever_host_the_request_names(client, alice, settings):
    settings.SITE_URL = "https://ascend.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    response = client.post("/password_reset/", {"email": alice.email}, HTTP_HOST="evil.example")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert "https://ascend.example.com/reset/" in message.body
    assert "evil.example" not in message.body


def test_an_invitation_link_points_at_the_site_too(
    alice, client_for, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ascend.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(
            "/org/members/", {"email": "new@alpha.test", "role": "csm"}, HTTP_HOST="evil.example"
        )
    (message,) = mail.outbox
    assert "https://ascend.example.com/reset/" in message.body
    assert "evil.example" not in message.body


@pytest.mark.parametrize("password", ["a", "12345678901234", "password", "acme-owner@acme.test"])
def test_createtenant_refuses_a_weak_password(password):
    with pytest.raises(CommandError):
        call_command(
            "createtenant",
            "weak",
            "--name",
            "Weak",
            "--owner-email",
            "acme-owner@acme.test",
            "--owner-password",
            password,
        )
