"""API errors as RFC 9457 problem details (`application/problem+json`), built in one place.

Every error the API answers, whether DRF raised it, a middleware refused the request or Django
found no route, has the same body:

    {"type": "urn:ascend:problem:invalid", "title": "Bad Request", "status": 400,
     "code": "invalid", "detail": "name: This field may not be blank.",
     "errors": [{"pointer": "/name", "detail": "This field may not be blank.", "code": "blank"}],
     "request_id": "5f0c…"}

`errors` holds one entry per message: `pointer` is a JSON pointer into the request body (RFC
6901; `/3/account` for the fourth item of a bulk request, "" for the body as a whole), or
`parameter` names the query parameter at fault. `request_id` is the `X-Request-ID` of the
response, and the server's log line of the error carries it too.
"""

import contextvars
import logging
import re
import uuid
from http import HTTPStatus

from django.http import JsonResponse

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ascend:problem:"
REQUEST_ID_HEADER = "X-Request-ID"

log = logging.getLogger("ascend.api")
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# What a client may send as its own request id: kept if it is this tame, replaced otherwise.
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def body_errors(detail, pointer: str = "") -> list[dict]:
    """DRF's nested error detail (dicts by field, lists by item, messages) as flat entries,
    each with the JSON pointer of what it is about."""
    if isinstance(detail, dict):
        entries = []
        for key, value in detail.items():
            inner = (
                pointer if key in ("non_field_errors", "detail") else f"{pointer}/{_escape(key)}"
            )
            entries.extend(body_errors(value, inner))
        return entries
    if isinstance(detail, list):
        if all(not isinstance(value, dict | list) for value in detail):
            return [_entry(value, pointer=pointer) for value in detail]
        entries = []
        for index, value in enumerate(detail):
            entries.extend(body_errors(value, f"{pointer}/{index}"))
        return entries
    return [_entry(detail, pointer=pointer)]


def parameter_errors(detail) -> list[dict]:
    """Errors about query parameters: `{name: [messages]}` as entries naming each parameter."""
    if not isinstance(detail, dict):
        return [_entry(message) for message in _as_list(detail)]
    entries = []
    for name, messages in detail.items():
        for message in _as_list(messages):
            entry = _entry(message)
            if name not in ("non_field_errors", "detail"):
                entry["parameter"] = str(name)
            entries.append(entry)
    return entries


def problem(status: int, code: str, detail: str = "", errors: list[dict] | None = None) -> dict:
    """The problem document for one error."""
    document = {
        "type": TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail or _summary(errors) or HTTPStatus(status).description,
        "request_id": current_request_id.get() or "",
    }
    if errors:
        document["errors"] = errors
    log.info(
        "api problem %s %s: %s",
        status,
        code,
        document["detail"],
        extra={"request_id": document["request_id"]},
    )
    return document


def problem_response(status: int, code: str, detail: str = "", errors=None) -> JsonResponse:
    """A problem as a Django response, for what answers outside DRF (middleware, handlers)."""
    return JsonResponse(
        problem(status, code, detail, errors), status=status, content_type=MEDIA_TYPE
    )


def _summary(errors: list[dict] | None) -> str:
    if not errors:
        return ""
    if len(errors) == 1:
        where = errors[0].get("parameter") or errors[0].get("pointer", "")
        return f"{where}: {errors[0]['detail']}" if where else errors[0]["detail"]
    return f"{len(errors)} problems with the request; see `errors`."


def _entry(message, pointer: str | None = None) -> dict:
    entry = {"detail": str(message), "code": str(getattr(message, "code", None) or "invalid")}
    if pointer is not None:
        entry["pointer"] = pointer
    return entry


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _escape(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


class RequestIdMiddleware:
    """Give every request an id (the client's `X-Request-ID` if it is tame, else a new one),
    answer it in the response's `X-Request-ID`, and put it in problem bodies and log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = sent if CLIENT_REQUEST_ID.match(sent) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith(("application/json", MEDIA_TYPE))
        ):  # no route: with DEBUG on, Django's own page, which no API client can read
            token = current_request_id.set(request_id)
            try:
                response = problem_response(404, "not_found", "No resource at this address.")
            finally:
                current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class QueryParametersMiddleware:
    """Under /api/, a query parameter is one the operation declares, given once. An unknown
    one (`?regoin=EMEA`) or a repeated one (`?all_or_nothing=true&all_or_nothing=false`) is a
    400 naming it, not a filter silently dropped or a guess at which value was meant. The
    served schema is the list of what each operation takes (core.openapi), so the two cannot
    disagree."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and request.GET:
            from .openapi import declared_query_parameters

            declared = declared_query_parameters(request.path_info, request.method)
            errors = []
            if declared is not None:
                takes = ", ".join(sorted(declared)) or "none"
                errors += [
                    {
                        "detail": f"Unknown parameter. This operation takes: {takes}.",
                        "code": "unknown",
                        "parameter": name,
                    }
                    for name in sorted(set(request.GET) - declared)
                ]
            errors += [
                {"detail": "Give this parameter once.", "code": "repeated", "parameter": name}
                for name, values in sorted(request.GET.lists())
                if len(values) > 1
            ]
            if errors:
                return problem_response(400, "invalid", _summary(errors), errors)
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record made while a request is served."""

    def filter(self, record):
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id.get() or "-"
        return True
