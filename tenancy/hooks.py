"""What the apps above tenancy do when an organization comes to be."""

from core.hooks import Hook

# Called with organization, in its tenant, whenever one is created: what every organization
# has from its first moment (its grid).
organization_created = Hook("organization_created")

# Called with organization and by (its first owner), in its tenant, when an operator creates
# a real tenant (`createtenant`): the starting framework, scorecard and playbooks.
organization_defaults = Hook("organization_defaults")

# Called with organization and user, in its tenant, as a person leaves it (removed by an
# owner or deactivated by SCIM), before their membership goes: what they hold is handed on
# (their open playbook tasks, to a manager).
member_leaving = Hook("member_leaving")
