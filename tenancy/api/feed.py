"""The query of every commit-ordered feed (tenancy.feed): `since`, a cursor it gave out, and
`limit`, declared once for the schema and read once."""

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from ..feed import decode_cursor

FEED_PARAMETERS = [
    OpenApiParameter(
        "since", str, required=False, description="The previous page's `next`; none to start."
    ),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, required=False),
]


def feed_query(request) -> tuple[tuple[int, int], int]:
    """The cursor to read after and the page size; a 404 for a cursor this API did not give
    (it names nothing here), a 400 for a bad limit."""
    since = request.query_params.get("since")
    try:
        after = decode_cursor(since) if since else (0, 0)
    except ValueError as error:
        raise ValidationError({"since": [str(error)]}, code="does_not_exist") from None
    given = request.query_params.get("limit") or "100"
    # int() takes " 5" and "+5"
    if not re.fullmatch(r"[0-9]+", given) or not 1 <= int(given) <= 1000:
        raise ValidationError({"limit": ["A whole number from 1 to 1000."]})
    return after, int(given)
