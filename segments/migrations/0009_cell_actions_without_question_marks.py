"""The default actions of three cells carried the deck's question marks ("?? Review…",
"Let go ???") as if they were text. New grids take the reworded actions from
grid_templates/cells.json; this rewords the cells of existing grids that still hold the old
default, and leaves alone any action a tenant has written.

Row-level security is forced on the table's owner too, so on PostgreSQL the update runs once
per organization, inside its tenant setting.
"""

from django.db import migrations

from tenancy.rls import each_tenant

REVIEW = (
    "?? Review lifetime value and gross margin, then decide.",
    "Undecided by the model: review lifetime value and gross margin, then invest or let go.",
)
REWORDED = [  # (cell key, old default, new default)
    ("review_ltv_gm_medium", *REVIEW),
    ("review_ltv_gm_low", *REVIEW),
    ("at_risk", "Let go ???", "Consider letting go, unless saving it is worth the cost."),
]


def reword(forwards: bool):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for _tenant in each_tenant(connection):
                for key, old, new in REWORDED:
                    before, after = (old, new) if forwards else (new, old)
                    cursor.execute(
                        "UPDATE segments_gridcell SET action = %s WHERE key = %s AND action = %s",
                        [after, key, before],
                    )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0008_account_of_same_tenant"),
        ("tenancy", "0003_organization_listing"),
    ]

    operations = [migrations.RunPython(reword(True), reword(False))]
