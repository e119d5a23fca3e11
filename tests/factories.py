import uuid

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account
from tenancy.context import tenant_context
from tenancy.hooks import organization_created
from tenancy.models import Membership, Organization, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    """Rows of a tenant are written inside that tenant, as the app itself must."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["organization"].id):
            return super()._create(model_class, *args, **kwargs)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """As tenancy.services.organization_create does, but with no owner: the fixtures
        add the members they need."""
        with tenant_context(kwargs["id"]):
            organization = super()._create(model_class, *args, **kwargs)
            organization_created(organization=organization)
            return organization


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CSM


class AccountFactory(TenantFactory):
    class Meta:
        model = Account

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"EXT-{n}")
    industry = "IT wholesale"
    isic_code = "4651"
    size_band = "mid"
    region = "EMEA"
    arr = 50000
