"""The daily digest: each person's overdue and due-today tasks, and for managers the team's."""

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import timezone

from tenancy.context import current_organization_id
from tenancy.models import Membership

from .selectors import overdue_by_csm, tasks_for_inbox


def digests_send(*, today=None) -> int:
    """Email every member who has something to act on, once a day (a rerun sends nothing)."""
    if not settings.PLAYBOOK_DIGEST_EMAILS:
        return 0
    today = today or timezone.localdate()
    team = overdue_by_csm(today=today)
    messages = []
    for membership in Membership.objects.select_related("user", "organization"):
        if not membership.can_write:
            continue
        inbox = tasks_for_inbox(membership=membership, today=today)
        overdue, due_today = inbox["overdue"], [t for t in inbox["due"] if t.due_on == today]
        manager_view = team if membership.can_manage else []
        if not (overdue or due_today or manager_view):
            continue
        once = f"playbook-digest:{current_organization_id()}:{membership.user_id}:{today}"
        if not cache.add(once, 1, 60 * 60 * 36):
            continue
        context = {
            "membership": membership,
            "overdue": overdue,
            "due_today": due_today,
            "team": manager_view,
            "today": today,
            "base_url": settings.SITE_URL,
        }
        messages.append(
            (
                f"Ascend · {membership.organization.name}: {len(overdue)} overdue, "
                f"{len(due_today)} due today",
                render_to_string("playbooks/digest_email.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [membership.user.email],
            )
        )
    return send_mass_mail(messages, fail_silently=False) if messages else 0
