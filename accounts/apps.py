from django.apps import AppConfig

from .hooks import import_mappings


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customer accounts"

    def ready(self):
        import_mappings.register("accounts.mapping.accounts_mapping")
