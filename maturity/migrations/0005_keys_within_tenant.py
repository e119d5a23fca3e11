"""Every reference to another tenant table keyed within the organization too
(tenancy.rls.KeyWithinTenant): a row of one tenant can no longer name another's."""

from django.db import migrations

from tenancy.rls import KeyWithinTenant


class Migration(migrations.Migration):

    dependencies = [
        ('maturity', '0004_version_edited_at'),
        ('accounts', '0011_import_job_sent_at'),
    ]

    operations = [
        KeyWithinTenant('framework', 'current_version'),
        KeyWithinTenant('frameworkversion', 'framework'),
        KeyWithinTenant('assessment', 'account'),
        KeyWithinTenant('assessment', 'version'),
        KeyWithinTenant('pillar', 'version'),
        KeyWithinTenant('factor', 'pillar'),
        KeyWithinTenant('surveylink', 'account'),
        KeyWithinTenant('surveylink', 'framework'),
        KeyWithinTenant('selfassessment', 'account'),
        KeyWithinTenant('selfassessment', 'link'),
        KeyWithinTenant('selfassessment', 'version'),
        KeyWithinTenant('tier', 'version'),
        KeyWithinTenant('answer', 'assessment'),
    ]
