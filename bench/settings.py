"""The app's settings plus one trivial view, the baseline of bench/api_load.py."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
