"""Every reference to another tenant table keyed within the organization too
(tenancy.rls.KeyWithinTenant): a row of one tenant can no longer name another's."""

from django.db import migrations

from tenancy.rls import KeyWithinTenant


class Migration(migrations.Migration):

    dependencies = [
        ('health', '0008_metric_latest_kept'),
        ('accounts', '0011_import_job_sent_at'),
    ]

    operations = [
        KeyWithinTenant('healthoverride', 'account'),
        KeyWithinTenant('metricvalue', 'account'),
        KeyWithinTenant('measuregroup', 'scorecard'),
        KeyWithinTenant('measure', 'group'),
        KeyWithinTenant('healthlevel', 'scorecard'),
    ]
