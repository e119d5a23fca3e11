from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`seed_demo`: the demo organization, put together from every app's demo data and placed
    on the grid by the production recompute."""

    name = "demo"
    verbose_name = "Demo data"
