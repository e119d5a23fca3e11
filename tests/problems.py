"""Reading the API's problem documents (core.problems) in tests."""


def errors(response) -> dict[str, list[str]]:
    """A problem's messages by what they are about: a body pointer without its leading slash
    ("name", "3/account", "" for the body as a whole) or a query parameter's name."""
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    found: dict[str, list[str]] = {}
    for entry in response.json().get("errors", []):
        where = entry.get("parameter", entry.get("pointer", "").lstrip("/"))
        found.setdefault(where, []).append(entry["detail"])
    return found
