"""Every reference to another tenant table keyed within the organization too
(tenancy.rls.KeyWithinTenant): a row of one tenant can no longer name another's."""

from django.db import migrations

from tenancy.rls import KeyWithinTenant


class Migration(migrations.Migration):

    dependencies = [
        ('playbooks', '0003_tenant_page_index'),
        ('accounts', '0011_import_job_sent_at'),
        ('segments', '0011_grid_for_every_organization'),
    ]

    operations = [
        KeyWithinTenant('playbookrun', 'account'),
        KeyWithinTenant('playbookrun', 'migration'),
        KeyWithinTenant('playbookrun', 'playbook'),
        KeyWithinTenant('playbookstep', 'playbook'),
        KeyWithinTenant('playbooktask', 'account'),
        KeyWithinTenant('playbooktask', 'run'),
    ]
