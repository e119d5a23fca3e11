"""Domain events (an assessment submitted, an account moving cell), announced by the apps
that make them and delivered by whichever apps listen: the webhooks of `integrations`."""

from .hooks import Hook

# Called inside the writing transaction with organization_id, event (a name in
# integrations.models.EVENTS) and payloads: a list of dicts, or a function that builds them,
# called only by a listener that needs them (a tenant with no webhook for it builds none).
event_emitted = Hook("event_emitted")
