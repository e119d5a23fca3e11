"""Column headers that sort a list page: a link per column that sorts by it, or reverses it
when it is the current sort, and the `aria-sort` state a screen reader announces."""

from django.http import QueryDict

ASCENDING, DESCENDING = "ascending", "descending"


def sort_headers(
    query: QueryDict, keys: dict[str, str], *, param: str = "o"
) -> dict[str, dict[str, str]]:
    """{key: {"query", "aria", "arrow"}} for each sortable column. `keys` maps each column's
    sort key to the direction its first click sorts in (numbers people rank, like ARR or a
    score, start high-first). The other parameters are kept; the page starts again at 1."""
    current = query.get(param, "")
    headers = {}
    for key, first in keys.items():
        if current == key:
            aria, target, arrow = ASCENDING, f"-{key}", " ▲"
        elif current == f"-{key}":
            aria, target, arrow = DESCENDING, key, " ▼"
        else:
            aria, target, arrow = "none", (f"-{key}" if first == DESCENDING else key), ""
        link = query.copy()
        link.pop("page", None)
        link[param] = target
        headers[key] = {"query": link.urlencode(), "aria": aria, "arrow": arrow}
    return headers
