"""Every reference to another tenant table keyed within the organization too
(tenancy.rls.KeyWithinTenant): a row of one tenant can no longer name another's."""

from django.db import migrations

from tenancy.rls import KeyWithinTenant


class Migration(migrations.Migration):

    dependencies = [
        ('segments', '0011_grid_for_every_organization'),
    ]

    operations = [
        KeyWithinTenant('gridcell', 'grid'),
    ]
