from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import demo_accounts
from accounts.models import Account
from core.derivation import Cause, CauseKind
from health.demo import demo_metrics
from health.models import Scorecard
from health.services import scorecard_create_from_template
from maturity.demo import demo_assessments
from maturity.models import Assessment, Framework
from maturity.services import framework_create_from_template, framework_set_provider_level
from outcomes.demo import demo_outcomes
from playbooks.demo import demo_task_work
from playbooks.services import playbook_defaults_install
from recompute.pipeline import accounts_recompute
from tenancy.context import tenant_context
from tenancy.models import Membership, Organization, Role
from tenancy.selectors import organization_get_by_slug
from tenancy.services import organization_create, user_get_or_create

DEMO_PASSWORD = "ascend-demo"
PEOPLE = [
    ("owner@demo.ascend.local", Role.OWNER),
    ("manager@demo.ascend.local", Role.MANAGER),
    ("csm1@demo.ascend.local", Role.CSM),
    ("csm2@demo.ascend.local", Role.CSM),
    ("csm3@demo.ascend.local", Role.CSM),
    ("viewer@demo.ascend.local", Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo organization with a few hundred accounts."

    def add_arguments(self, parser):
        parser.add_argument("--slug", default="demo")
        parser.add_argument("--accounts", type=int, default=400)

    @transaction.atomic
    def handle(self, *args, slug, accounts, **options):
        users = {
            email: user_get_or_create(email=email, password=DEMO_PASSWORD)[0] for email, _ in PEOPLE
        }
        owner = users[PEOPLE[0][0]]
        try:
            organization = organization_get_by_slug(slug=slug)
        except Organization.DoesNotExist:
            organization = organization_create(name="Northwind Software", slug=slug, owner=owner)
        with tenant_context(organization.id):
            for email, role in PEOPLE:
                Membership.objects.get_or_create(
                    organization=organization, user=users[email], defaults={"role": role}
                )
            csm_ids = [users[email].pk for email, role in PEOPLE if role == Role.CSM]
            rows = demo_accounts(accounts, csm_ids=csm_ids)
            Account.objects.bulk_create(
                [Account(organization=organization, **row) for row in rows],
                update_conflicts=True,
                unique_fields=["organization", "external_id"],
                update_fields=[field for field in rows[0] if field != "external_id"],
            )
            assessed = self._maturity(organization, owner)
            if not Scorecard.objects.exists():  # a fresh demo: its migrations start playbooks
                playbook_defaults_install(organization=organization)
            self._health(organization)
            demo_task_work(seed=7)
            outcomes = demo_outcomes(organization=organization)
        self.stdout.write(
            f"Demo organization “{organization.name}” ({slug}) has {accounts} accounts"
            f", {assessed} assessments and {outcomes} synthetic renewal outcomes.\n"
            f"Log in at http://127.0.0.1:8000/ as {PEOPLE[0][0]} (owner), "
            f"{PEOPLE[1][0]} (manager) or {PEOPLE[2][0]} (CSM), password {DEMO_PASSWORD}"
        )

    def _maturity(self, organization, owner) -> int:
        """The deck's framework and the USM scale, with a year of assessments, once."""
        if Framework.objects.exists():
            return Assessment.objects.count()
        framework = framework_create_from_template(
            organization=organization, template="cmi", primary=True, by=owner
        )
        usm = framework_create_from_template(organization=organization, template="usm", by=owner)
        framework_set_provider_level(framework=usm, level=3)
        return demo_assessments(framework=framework)

    def _health(self, organization) -> None:
        """The deck's CHS scorecard and a quarter of metric values, once."""
        if Scorecard.objects.exists():
            return
        scorecard_create_from_template(organization=organization, template="chs", activate=True)

        def place(moment):  # the demo's history: scores and cells as each round left them
            accounts_recompute(cause=Cause(CauseKind.DEMO), now=moment)

        demo_metrics(organization=organization, after_round=place)
