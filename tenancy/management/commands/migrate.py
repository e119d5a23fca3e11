from django.core.management.commands.migrate import Command as MigrateCommand

from tenancy.db import as_owner, grant_app_role


class Command(MigrateCommand):
    help = MigrateCommand.help + " Runs as DATABASE_OWNER_URL's role and grants the app role."

    def handle(self, *args, **options):
        with as_owner(options["database"]):
            super().handle(*args, **options)
            grant_app_role(options["database"])
