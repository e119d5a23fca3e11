from django.apps import AppConfig

from accounts.hooks import bulk_actions, csm_changed, timeline_entries
from accounts.panels import panel_register
from segments.hooks import cells_changed
from tenancy.hooks import member_leaving, organization_defaults


class PlaybooksConfig(AppConfig):
    name = "playbooks"

    def ready(self):
        cells_changed.register("playbooks.services.runs_start_for_moves")
        csm_changed.register("playbooks.services.tasks_follow_csm")
        timeline_entries.register("playbooks.timeline.entries")
        bulk_actions.register("playbooks.bulk.bulk_actions")
        organization_defaults.register("playbooks.services.playbook_defaults_for")
        member_leaving.register("playbooks.services.tasks_hand_off")
        panel_register(
            template="playbooks/_account_panel.html",
            context="playbooks.panels.playbook_panel",
            position=20,
        )
