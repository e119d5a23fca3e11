"""Every reference to another tenant table keyed within the organization too
(tenancy.rls.KeyWithinTenant): a row of one tenant can no longer name another's."""

from django.db import migrations

from tenancy.rls import KeyWithinTenant


class Migration(migrations.Migration):

    dependencies = [
        ('recompute', '0002_outbox_from_segments'),
    ]

    operations = [
        KeyWithinTenant('recomputepartprovider', 'part'),
    ]
