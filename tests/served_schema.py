"""Every response an API test receives is checked against the schema /api/v1/schema/ serves.

A generated client trusts the schema: a status it does not declare, a field it calls required
that is missing, a null where it promises a string, each breaks that client after the server has
done its work. `conftest.py` hooks `check_response` into Django's test client, so every test that
calls the API checks what it received, whatever it meant to test.
"""

import functools
import json
from urllib.parse import quote

from django.http import HttpResponse
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

API = "/api/v1/"
NOT_OPERATIONS = ("/api/v1/schema/", "/api/v1/docs/")


@functools.cache
def served_spec() -> dict:
    """The schema exactly as /api/v1/schema/ renders it."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


@functools.cache
def _openapi() -> OpenAPI:
    # Problem documents are JSON under their own media type (core.problems).
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(served_spec(), config=config)


class _Request:
    """The request as openapi-core reads it, found by its path in the spec."""

    host_url = "http://testserver"
    path_pattern = None

    def __init__(self, request):
        self.path = request.path
        # A path parameter holding a slash was sent as %2F, which the server decoded: encode
        # it again, as the client sent it, for the spec's {parameter} to match one segment.
        match = getattr(request, "resolver_match", None)
        for value in match.kwargs.values() if match else []:
            if isinstance(value, str) and "/" in value:
                self.path = self.path.replace(value, quote(value, safe=""))
        self.method = request.method.lower()
        self.body = b""
        self.content_type = request.META.get("CONTENT_TYPE", "")
        self.parameters = RequestParameters(
            path={},
            query=ImmutableMultiDict(list(request.GET.lists())),
            header=Headers(request.headers.items()),
            cookie=ImmutableMultiDict(dict(request.COOKIES)),
        )


def _check_problem(request, response) -> None:
    from jsonschema import Draft202012Validator

    spec = served_spec()
    problem = {**spec["components"]["schemas"]["Problem"], "components": spec["components"]}
    where = f"{request.method} {request.get_full_path()} answered {response.status_code}"
    assert response.status_code in (404, 405), f"{where} at no operation of the schema"
    assert response["Content-Type"] == "application/problem+json", where
    Draft202012Validator(problem).validate(json.loads(response.content))


def is_operation(path: str) -> bool:
    return path.startswith(API) and not path.startswith(NOT_OPERATIONS)


def check_response(response: HttpResponse) -> None:
    """Fail unless the schema declares this status for this operation, and the body and headers
    match what it declares."""
    request = response.wsgi_request
    if not is_operation(request.path):
        return
    try:
        _openapi().validate_response(_Request(request), DjangoOpenAPIResponse(response))
    except PathNotFound:  # no operation here: what answers must still be a problem document
        _check_problem(request, response)
    except Exception as error:
        causes = []
        cause: BaseException | None = error
        while cause is not None:
            causes.append(f"{type(cause).__name__}: {cause}")
            for schema_error in getattr(cause, "schema_errors", ()):
                where = "/".join(str(p) for p in schema_error.absolute_path)
                causes.append(f"  at /{where}: {schema_error.message}")
            cause = cause.__cause__ or cause.__context__
        body = response.content[:600].decode(errors="replace")
        raise AssertionError(
            f"{request.method} {request.get_full_path()} answered {response.status_code}, "
            f"outside the served schema:\n" + "\n".join(causes) + f"\nbody: {body}"
        ) from None
