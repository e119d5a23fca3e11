from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from health.services import scorecard_create_from_template
from maturity.services import framework_create_from_template
from playbooks.services import playbook_defaults_install
from tenancy.context import tenant_context
from tenancy.services import organization_create, user_get_or_create


class Command(BaseCommand):
    help = "Create an organization and its first owner."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)

    def handle(self, *args, slug, name, owner_email, owner_password, **options):
        try:
            with transaction.atomic():
                owner, created = user_get_or_create(email=owner_email, password=owner_password)
                organization = organization_create(name=name, slug=slug, owner=owner)
                with tenant_context(organization.id):
                    framework_create_from_template(
                        organization=organization, template="cmi", primary=True, by=owner
                    )
                    scorecard_create_from_template(
                        organization=organization, template="chs", activate=True
                    )
                    playbook_defaults_install(organization=organization)
        except IntegrityError as error:
            raise CommandError(f"An organization with the slug “{slug}” already exists.") from error
        note = "new user" if created else "existing user, password unchanged"
        self.stdout.write(
            f"Created organization {organization.name} ({organization.slug}), "
            f"owner {owner.email} ({note})."
        )
