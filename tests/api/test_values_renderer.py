"""core.api.values_renderer: a row rendered without the serializer reads exactly as the
serializer renders the same values, whatever their zone, places or type."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone as django_timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from core.api import values_renderer


class Sample(serializers.Serializer):
    when = serializers.DateTimeField()
    money = serializers.DecimalField(max_digits=8, decimal_places=2)
    ratio = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=False)
    label = serializers.CharField()
    count = serializers.IntegerField()
    score = serializers.FloatField()
    big = serializers.BigIntegerField()


ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Paris"]
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31)
) | st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31)),
    st.sampled_from([UTC]) | offsets,
)
# Decimals with the field's places and without: the shorter way takes only the first.
money = st.decimals(min_value=-999_999, max_value=999_999, places=2) | st.decimals(
    min_value=-9_999, max_value=9_999, places=1
)
ratios = st.decimals(min_value=-999, max_value=999, places=3)
# Values of another type than the field's (a CharField over a number column…).
labels = st.text(max_size=5) | st.integers()
counts = st.integers(min_value=-(2**40), max_value=2**40) | st.booleans()
scores = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-1000, 1000)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    when=moments | st.none(),
    money=money | st.none(),
    ratio=ratios,
    label=labels | st.none(),
    count=counts,
    score=scores,
    big=st.integers(min_value=-(2**62), max_value=2**62),
)
def test_a_row_renders_as_the_serializer_renders_it(zone, **values):
    with django_timezone.override(zone):
        columns, render = values_renderer(Sample())
        expected = dict(Sample(SimpleNamespace(**values)).data)
        assert render(tuple(values[column] for column in columns)) == expected


def test_the_renderer_keeps_drf_settings_it_does_not_shorten():
    """A field asking for another format or for normalized output goes the field's own way."""

    class Other(serializers.Serializer):
        when = serializers.DateTimeField(format="%d/%m/%Y %H:%M")
        money = serializers.DecimalField(max_digits=8, decimal_places=2, normalize_output=True)

    values = {"when": datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "money": Decimal("12.50")}
    with django_timezone.override("Asia/Kolkata"):
        columns, render = values_renderer(Other())
        rendered = render(tuple(values[column] for column in columns))
    assert rendered == {"when": "01/12/2026 15:00", "money": "12.5"}


def test_the_api_json_reads_as_drfs_own_renderer_writes_it():
    """orjson writes the API's JSON; whatever it would write differently from DRF's renderer
    (timestamps, decimals, lazy text, keys that are not text) goes DRF's way."""
    import json
    import uuid
    from datetime import date, time

    from django.utils.translation import gettext_lazy
    from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

    from core.api import JSONRenderer

    payload = {
        "at": datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "local": datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "day": date(2027, 2, 28),
        "time": time(8, 15, 30, 250000),
        "money": Decimal("1234567890.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "label": gettext_lazy("Retain"),
        "counts": {1: 3, 5: 0},
        "nested": [("a", 1.5), None, True],
        "text": 'Ünïcode "quoted" \\ café',
    }
    ours = JSONRenderer().render(payload, "application/json")
    assert json.loads(ours) == json.loads(DRFJSONRenderer().render(payload, "application/json"))
    assert json.loads(ours)["at"] == "2026-12-01T09:30:15.123456Z"
