from django.core.management.base import BaseCommand, CommandError

from tenancy.context import tenant_context
from tenancy.models import Organization
from tenancy.selectors import organization_get_by_slug
from tenancy.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization. The plain key is the last line printed."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")

    def handle(self, *args, slug, name, **options):
        try:
            organization = organization_get_by_slug(slug=slug)
        except Organization.DoesNotExist as error:
            raise CommandError(f"No organization with the slug “{slug}”.") from error
        with tenant_context(organization.id):
            api_key, plain = api_key_create(organization=organization, name=name)
        self.stdout.write(
            f"API key “{api_key.name}” (prefix {api_key.prefix}) for {organization.name}. "
            "It is shown once; store it now:"
        )
        self.stdout.write(plain)
