from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from tenancy.models import User
from tenancy.services import (
    organization_create,
    organization_defaults_install,
    user_get_or_create,
)


class Command(BaseCommand):
    help = "Create an organization and its first owner."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)

    def handle(self, *args, slug, name, owner_email, owner_password, **options):
        try:  # the validators a person choosing a password in the browser meets
            validate_password(owner_password, user=User(email=owner_email))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        try:
            with transaction.atomic():
                owner, created = user_get_or_create(email=owner_email, password=owner_password)
                organization = organization_create(name=name, slug=slug, owner=owner)
                organization_defaults_install(organization=organization, by=owner)
        except IntegrityError as error:
            raise CommandError(f"An organization with the slug “{slug}” already exists.") from error
        note = "new user" if created else "existing user, password unchanged"
        self.stdout.write(
            f"Created organization {organization.name} ({organization.slug}), "
            f"owner {owner.email} ({note})."
        )
