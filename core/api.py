import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import django_filters
import orjson
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.validators import RegexValidator
from django.db import DataError, models
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, exceptions, filters, pagination, parsers, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils import encoders


class JSONRenderer(ORJSONRenderer):
    """The API's JSON, written by orjson: a page of 100 accounts in ~0.03 ms where the json
    module took ~0.3 ms (bench/README.md). It reads as DRF's own renderer's would: what
    orjson does not write itself (timestamps, decimals, lazy text, querysets) goes through
    DRF's encoder, and keys that are not text become text, as the json module makes them."""

    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    default = staticmethod(encoders.JSONEncoder().default)


class CursorPagination(pagination.CursorPagination):
    """Stable pages under concurrent writes: a CRM paging through never skips or repeats."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        """The asked size, or 400: a CRM asking for `page_size=abc` is told, not ignored."""
        from rest_framework.exceptions import ValidationError

        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        # not str.isdigit(): it takes "²", which int() does not
        if not re.fullmatch(r"[0-9]+", value) or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(value)

    def decode_cursor(self, request):
        """DRF's decoding, except that every cursor it did not give is DRF's "Invalid cursor"
        404, never the first page: base64 drops a NUL or any character outside its alphabet,
        so `?cursor=%00` decoded to nothing and was served as if no cursor had been sent."""
        import base64
        import binascii

        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:  # absent, or empty as a form left alone sends it: the first page
            return None
        from urllib.parse import parse_qs

        try:
            decoded = base64.b64decode(encoded, validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            decoded = ""
        # Every cursor this API gives names a position or a direction.
        readable = bool(parse_qs(decoded, keep_blank_values=True).keys() & {"p", "r"})
        if not readable:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return super().decode_cursor(request)

    def get_paginated_response_schema(self, schema):
        """DRF's, with an example next link that is a URI (DRF's ends in a stray quote)."""
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["next"]["example"] = (
            "https://ascend.example/api/v1/accounts/?cursor=cD00ODY%3D"
        )
        return paginated

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


# DRF fields whose representation of a value of this type is the value itself.
AS_IS = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
    serializers.FloatField.to_representation: float,
}
# Model columns whose values are always of that type (or None): shown without a look.
COLUMN_TYPES = {
    str: (models.CharField, models.TextField),
    int: (models.IntegerField,),  # the auto and big, small, positive kinds included
    float: (models.FloatField,),
}


def values_renderer(serializer) -> tuple[list[str], Callable[[tuple], dict]]:
    """The `values_list()` columns a serializer's readable fields read, and a function rendering
    one such row as the serializer renders the row's instance: each field's own
    `to_representation`, None for None, a relation's slug read through the join, and a text,
    whole or float value as it is where the field would only make it one.

    Most of a row's values are shown as they come; only the others are looked at, and a
    timestamp or a decimal takes a shorter way to DRF's text where it can (`_datetime_shown`,
    `_decimal_shown`)."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    names: list[str] = []
    columns: list[str] = []
    shown: list[tuple[int, str, Callable]] = []  # (position, name, show) of the values to convert
    column: str
    show: Callable | None
    for name, field in serializer.fields.items():
        nested = isinstance(field, serializers.BaseSerializer) or "." in field.source
        if field.write_only:
            continue
        if isinstance(field, serializers.SlugRelatedField):
            column, show = f"{field.source}__{field.slug_field}", None
        elif nested or field.source == "*":  # a method field's source is "*"
            raise TypeError(f"{name} is not a column: values_renderer cannot render it")
        elif (kind := _kind_as_is(field)) is not None:
            column = str(field.source)
            show = None if _column_is(model, column, kind) else _as_kind(kind)
        elif isinstance(field, serializers.DateTimeField):
            column, show = str(field.source), _datetime_shown(field)
        elif isinstance(field, serializers.DecimalField):
            column, show = str(field.source), _decimal_shown(field)
        else:
            column, show = str(field.source), field.to_representation
        if show is not None:
            shown.append((len(columns), name, show))
        names.append(name)
        columns.append(column)
    converted = tuple(shown)

    def render(row: tuple) -> dict:
        data = dict(zip(names, row, strict=True))
        for position, name, show in converted:
            if (value := row[position]) is not None:
                data[name] = show(value)
        return data

    return columns, render


def _kind_as_is(field) -> type | None:
    if isinstance(field, serializers.BigIntegerField):  # an int, unless DRF is told to quote it
        as_text = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return None if as_text else int
    return AS_IS.get(type(field).to_representation)


def _column_is(model, column: str, kind: type) -> bool:
    try:
        model_field = model._meta.get_field(column)
    except (AttributeError, FieldDoesNotExist):
        return False
    return isinstance(model_field, COLUMN_TYPES[kind])


def _as_kind(kind: type) -> Callable:
    return lambda value: value if type(value) is kind else kind(value)


def _datetime_shown(field: serializers.DateTimeField) -> Callable:
    """DRF's text of a timestamp, without its per-value lookups: the zone is the one the
    renderer was built for, and an aware datetime in ISO 8601 is shown as DRF shows it
    (`astimezone`, `isoformat`, a Z for UTC; a value already in UTC shown in UTC, as the
    database's are, needs only the last two); anything else goes through the field itself."""
    general = field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601 or zone is None:
        return general

    # A UTC value shown in UTC reads the same without astimezone, the costlier half of the work.
    in_utc = zone is UTC or getattr(zone, "key", None) in {"UTC", "Etc/UTC"}

    def show(value):
        if type(value) is not datetime or value.tzinfo is None:
            return general(value)
        if in_utc and value.tzinfo is UTC:
            return value.isoformat()[:-6] + "Z"
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return general(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return show


def _decimal_shown(field: serializers.DecimalField) -> Callable:
    """DRF's text of a decimal, without its per-value quantize where that is the identity: a
    value that already has the field's places and fits its digits (as every value of a
    `numeric(p, s)` column does) is shown as it is; anything else goes through the field."""
    general = field.to_representation
    as_text = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not as_text or field.localize or field.normalize_output:
        return general
    if field.max_digits is None or field.decimal_places is None:
        return general
    exponent, digits = -field.decimal_places, field.max_digits

    def show(value):
        if type(value) is Decimal:
            _, numerals, value_exponent = value.as_tuple()
            if value_exponent == exponent and len(numerals) <= digits:
                return f"{value:f}"
        return general(value)

    return show


class ValuesListMixin:
    """The list action of a model viewset, read as `values_list()` rows and rendered by
    `values_renderer`: the serializer's JSON without a model instance per row and DRF's
    per-field attribute walk, which were most of a 100-row page's time (bench/README.md).

    The renderer is built once per serializer class and time zone (building a model
    serializer's fields cost a tenth of a page): the serializer's fields must not depend on
    the request. Rows are named tuples, so that the cursor pagination reads its position
    from the last one."""

    _renderers: dict = {}

    def list(self, request, *args, **kwargs):
        key = (self.get_serializer_class(), timezone.get_current_timezone_name())
        if key not in self._renderers:
            self._renderers[key] = values_renderer(self.get_serializer())
        columns, render = self._renderers[key]
        rows = self.filter_queryset(self.get_queryset()).values_list(*columns, named=True)
        page = self.paginate_queryset(rows)
        if page is None:
            return Response([render(row) for row in rows])
        return self.get_paginated_response([render(row) for row in page])


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which leaves a request naming none of the filterset's
    parameters as it is without building the filterset: copying and validating 17 filters to
    change nothing was a tenth of an unfiltered account page (bench/api_load.py)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _names_a_filter(request, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_a_filter(request, filterset_class) -> bool:
    filters = filterset_class.base_filters
    if any(f.extra.get("required") for f in filters.values()):
        return True  # its absence is an error to report
    # A range filter reads `<name>_min`, `<name>_after`…: any parameter so prefixed counts.
    return any(
        parameter == name or parameter.startswith(f"{name}_")
        for parameter in request.query_params
        for name in filters
    )


class TenantQuerysetMixin:
    """Base of every tenant API view (PostHog's pattern): subclasses write `safely_get_queryset`;
    scoping comes from the tenant context, and schema generation gets an empty queryset."""

    queryset_model: type[models.Model]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_model.objects.none()
        return self.safely_get_queryset()

    def safely_get_queryset(self):
        raise NotImplementedError


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The body is larger than the API accepts."
    default_code = "body_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with limits: a body over API_BODY_MAX_BYTES is a 413 before it is
    read (DRF reads the stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE), and JSON
    nested deeper than Python can parse is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        from django.conf import settings

        request = (parser_context or {}).get("request")
        most = settings.API_BODY_MAX_BYTES
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > most:
            raise BodyTooLarge(
                f"The body is {int(length):,} bytes; the API takes {most:,} at most."
            )
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the body is nested too deeply."
            ) from None


ERROR_RESPONSES = {
    "400": "Invalid input: `errors` has one entry per message, with its JSON pointer into the "
    "body (per item for bulk requests) or the query parameter it is about.",
    "401": "No API key, or a revoked, expired or unknown one.",
    "403": "The key's or the member's role does not allow this.",
    "404": "Not found, or belongs to another organization.",
    "406": "The `Accept` header names no type the API writes (it writes JSON).",
    "413": "The body is larger than the API accepts (API_BODY_MAX_BYTES, 5 MB by default).",
    "415": "The body is not JSON (send Content-Type: application/json).",
    "429": "Too many requests for this key; see the Retry-After header.",
}
# Only requests with a body can send these.
BODY_ERROR_RESPONSES = {"413", "415"}
POST_ERROR_RESPONSES = {
    "409": "This `Idempotency-Key` was already used for a different request.",
}
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any text up to 255 characters. A POST repeated with the same key and body "
    "answers the first response again (with `Idempotent-Replayed: true`) and writes nothing; "
    "the same key with another body is a 409. Keys are kept for 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
}
PROBLEM_SCHEMAS = {
    "ProblemError": {
        "type": "object",
        "description": "One message. `pointer` (RFC 6901) locates it in the request body; "
        "`parameter` names the query parameter it is about.",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "pointer": {"type": "string"},
            "parameter": {"type": "string"},
        },
        "required": ["detail", "code"],
    },
    "Problem": {
        "type": "object",
        "description": "An error, as RFC 9457 problem details.",
        "properties": {
            "type": {"type": "string", "format": "uri", "example": "urn:ascend:problem:invalid"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "code": {"type": "string", "description": "Stable: safe to branch on."},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
            "request_id": {
                "type": "string",
                "description": "The response's X-Request-ID, also in the server's log.",
            },
        },
        "required": ["type", "title", "status", "code", "detail", "request_id"],
    },
}
RATE_LIMIT_HEADERS = {
    name: {"description": description, "schema": schema}
    for name, description, schema in [
        (
            "RateLimit-Policy",
            'The key\'s quota: `"api";q=<requests>;w=<seconds>`.',
            {"type": "string"},
        ),
        (
            "RateLimit",
            'What is left: `"api";r=<remaining>;t=<seconds to reset>`.',
            {"type": "string"},
        ),
        ("X-RateLimit-Limit", "Requests allowed per window.", {"type": "integer"}),
        ("X-RateLimit-Remaining", "Requests left in the window.", {"type": "integer"}),
        ("X-RateLimit-Reset", "Seconds until the window frees a request.", {"type": "integer"}),
        ("X-Request-ID", "This request's id, as in error bodies and the log.", {"type": "string"}),
    ]
}
RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "integer"}}
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the errors every operation can return,
    each with the problem body (core.problems), and the Idempotency-Key of every POST."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(ERROR_RESPONSES)
            if method not in ("post", "put", "patch"):
                errors = {k: v for k, v in errors.items() if k not in BODY_ERROR_RESPONSES}
            if method == "post":
                errors.update(POST_ERROR_RESPONSES)
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            responses = operation["responses"]
            for status, description in errors.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = PROBLEM_CONTENT
                response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
                if status == "429":
                    response["headers"]["Retry-After"] = RETRY_AFTER
    return result


def allow_empty_query_values(result, generator, request, public):
    """drf-spectacular postprocessing hook: say what the API does with `?filter=` (an empty
    optional query parameter): it ignores it, as django-filter and the paginators do. And say
    that text parameters cannot contain NUL."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(
                    schema
                ):
                    schema["pattern"] = r"^[^\u0000]*$"  # PostgreSQL cannot hold or match a NUL
    return result


def blank_text_once(result, generator, request, public):
    """drf-spectacular postprocessing hook: a blank-able text field is declared by
    drf-spectacular as `oneOf: [<its pattern>, {maxLength: 0}]`, and an empty string matches
    both branches, which `oneOf` forbids: every blank `industry` was invalid under the schema.
    Where the field's own schema already takes "" (a NUL-free pattern, no minimum length, no
    format), it is declared alone; otherwise the two branches become `anyOf`."""

    def visit(node):
        if isinstance(node, dict):
            branches = node.get("oneOf")
            if (
                isinstance(branches, list)
                and len(branches) == 2
                and branches[1] == {"type": "string", "maxLength": 0}
            ):
                inner = branches[0]
                takes_empty = (
                    not {"format", "minLength", "enum"} & set(inner)
                    and re.search(inner.get("pattern", ""), "") is not None
                )
                del node["oneOf"]
                if takes_empty:
                    node.update(inner)
                else:
                    node["anyOf"] = branches
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result


# Constraints across fields, which serializers cannot declare: component → JSON Schema keywords.
COMPONENT_CONSTRAINTS: dict[str, dict] = {}
# Choices of shapes (drf-spectacular's PolymorphicProxySerializer, a oneOf) that an item may
# match more than one of: a metric naming its account by both id and CRM id.
ANY_OF_COMPONENTS = ("MetricIn", "MetricInRequest", "OutcomeIn", "OutcomeInRequest")


# The bulk endpoints' list sizes: (path, method) → JSON Schema keywords, declared by each
# endpoint's own module (`bulk_limit`), since this layer imports no app.
BULK_LIMITS: dict[tuple[str, str], dict] = {}


def bulk_limit(path: str, method: str, *, most: int) -> int:
    """Declare that the bulk endpoint at `path` takes a list of 1 to `most` items; returns
    `most`, so the endpoint's constant and its schema are one number."""
    BULK_LIMITS[(path, method)] = {"minItems": 1, "maxItems": most}
    return most


def add_component_constraints(result, generator, request, public):
    """drf-spectacular postprocessing hook: add COMPONENT_CONSTRAINTS to their components, and
    the bulk endpoints' list sizes to their request bodies."""
    components = result.get("components", {}).get("schemas", {})
    for name in ANY_OF_COMPONENTS:  # a choice of shapes an item may match more than one of
        if "oneOf" in components.get(name, {}):
            components[name]["anyOf"] = components[name].pop("oneOf")
    for name, keywords in COMPONENT_CONSTRAINTS.items():
        if name in components:
            components[name].update(keywords)
    paths = result.get("paths", {})
    for (path, method), keywords in BULK_LIMITS.items():
        operation = paths.get(path, {}).get(method)
        if operation:
            operation["requestBody"]["content"]["application/json"]["schema"].update(keywords)
    return result


def as_api_error(error, field: str | None = None) -> exceptions.ValidationError:
    """A service's Django ValidationError as DRF's, keeping every message's code (which
    decides the status: see `exception_handler`); under `field` when given."""

    def detail(messages) -> list:
        return [exceptions.ErrorDetail(_text(m), m.code) for m in messages]

    if hasattr(error, "error_dict"):
        found: dict | list = {key: detail(value) for key, value in error.error_dict.items()}
    else:
        found = detail(error.error_list)
    return exceptions.ValidationError({field: found} if field else found)


class QueryParameterError(exceptions.ValidationError):
    """A bad query parameter of a request that also has a body: its errors name the
    parameter, not a place in the body."""


def _text(message) -> str:
    return str(message.message % message.params if message.params else message.message)


# A schema-valid request can still be refused for what no schema can state: it names a row,
# a key or a category this organization does not have (404), or it conflicts with what is
# stored or with itself (409). Validation messages say which by their code.
NOT_FOUND_CODES = {"does_not_exist", "not_found"}
# "wrong_kind": a value the schema allows but the tenant's configuration types otherwise
# (text for a metric its scorecard measures as a number).
CONFLICT_CODES = {"conflict", "in_the_future", "in_the_past", "wrong_kind"}
FORBIDDEN_CODES = {"forbidden_target", "permission_denied"}


def _validation_status(errors: list[dict]) -> tuple[int, str] | None:
    codes = {entry["code"] for entry in errors}
    if not codes or not codes <= NOT_FOUND_CODES | CONFLICT_CODES | FORBIDDEN_CODES:
        return None
    if codes & NOT_FOUND_CODES:
        return 404, "not_found"
    if codes & FORBIDDEN_CODES:
        return 403, "permission_denied"
    return 409, "conflict"


def exception_handler(exc, context):
    """Every error DRF handles, as an RFC 9457 problem (core.problems); a value PostgreSQL
    cannot store or compare is the client's 400."""
    # rest_framework.views reads the API settings, which name this module: import it late.
    from rest_framework.views import exception_handler as drf_handler

    from .problems import MEDIA_TYPE, body_errors, parameter_errors, problem

    if isinstance(exc, DataError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [f"A value cannot be stored or searched: {exc}".strip()[:300]]}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, str):  # one message: it is the problem's detail
        code = getattr(detail, "code", None) or code
        document = problem(response.status_code, str(code), str(detail))
    else:
        request = context.get("request")
        in_query = isinstance(exc, QueryParameterError) or (
            request is not None and request.method in ("GET", "HEAD", "DELETE")
        )
        errors = parameter_errors(detail) if in_query else body_errors(detail)
        if isinstance(exc, exceptions.ValidationError) and (found := _validation_status(errors)):
            response.status_code, code = found
        document = problem(response.status_code, str(code), errors=errors)
    response.data = document
    response.content_type = MEDIA_TYPE
    return response


# Schema pieces that state what the serializers enforce, so the schema promises no more and no
# less than the API accepts (schemathesis checks both ways).
BIGINT = 2**63 - 1


class WholeNumberField(forms.IntegerField):
    """Django's, without its leniency for "1.0": the schema says integer, so digits only."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]+", str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": -BIGINT, "maximum": BIGINT})
class IdFilter(django_filters.NumberFilter):
    """Rows whose foreign key is this id; an unknown id is an empty page, not an error."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -BIGINT)
        kwargs.setdefault("max_value", BIGINT)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "number", "minimum": -(10**15), "maximum": 10**15})
class AmountFilter(django_filters.NumberFilter):
    """A bound on an amount (ARR): any number within ±10^15, which no account reaches."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(10**15))
        kwargs.setdefault("max_value", 10**15)
        super().__init__(*args, **kwargs)


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """Rows changed at or after a moment, compared in UTC: any ISO 8601 offset is accepted,
    even one PostgreSQL would refuse, and a moment past the calendar's end matches nothing."""

    def filter(self, qs, value):
        if value is None:
            return qs
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            return qs.none() if value.year == 9999 else qs
        return self.since(qs, value)

    def since(self, qs, moment):
        """The rows at or after `moment`, an aware UTC datetime."""
        return super().filter(qs, moment)


class StrictCharField(serializers.CharField):
    """Text, and only text: DRF's CharField would quietly turn 12 or 1.5 into a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NonBlankCharField(StrictCharField):
    """Text that must say something: DRF trims whitespace, then refuses an empty string."""


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictCharField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if any(isinstance(v, RegexValidator) for v in self.target.validators):
            return schema  # its own pattern is added after this, and says more
        return {**schema, "pattern": r"^[^\u0000]*$"}  # PostgreSQL cannot store a NUL


# Python's whitespace (what str.strip() and so DRF's trimming remove) as a regex class's
# ranges; tests/api/test_schema_pieces.py checks it against every code point.
PYTHON_SPACE = (
    "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028-\\u2029\\u202f\\u205f\\u3000"
)


def non_blank_pattern() -> str:
    """Something other than whitespace, and no NUL anywhere (PostgreSQL cannot store one).
    Whitespace as DRF trims it (Python's), not as JSON Schema's \\s: "\\u001f" is blank."""
    return f"^[^\\u0000]*[^{PYTHON_SPACE}\\u0000][^\\u0000]*$"


class NonBlankCharFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NonBlankCharField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "minLength": 1, "pattern": non_blank_pattern()}


class BlankAsNullField(serializers.CharField):
    """A read-only text column whose empty value the API shows as null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


# The longest text a free-text field (a note, a comment, a description) takes.
TEXT_MAX_LENGTH = 5000


class ModelSerializer(serializers.ModelSerializer):
    """The base of writable model serializers: text fields take text only, and a model's
    unbounded TextField takes TEXT_MAX_LENGTH characters at most."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "choices" not in field_kwargs:
            field_kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        return field_class, field_kwargs


# Partial success for bulk endpoints: `?all_or_nothing=false` writes the good items and
# answers 207 with one result per item.
ALL_OR_NOTHING_PARAMETER = {
    "name": "all_or_nothing",
    "in": "query",
    "required": False,
    "description": "true (the default): one bad item and nothing is written (400, or 404, "
    "403 or 409 when every problem is of that kind). false: items the data refuses (an "
    "unknown account or CSM, a permission, a conflict) are reported and the others written, "
    "answering 207 with one result per item; a malformed item (a wrong type, a missing "
    "field, a value out of bounds, anything the schema refuses) is still a 400 for the "
    "whole request, with nothing written: it is a bug in the mapping, not a row to skip.",
    "schema": {"type": "boolean", "default": True},
}


def all_or_nothing(request) -> bool:
    """The bulk mode a request asks for; 400 for anything but true or false."""
    value = request.query_params.get("all_or_nothing", "")
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    raise QueryParameterError({"all_or_nothing": ["true or false."]})


def refuse_malformed(report: list) -> None:
    """In partial mode, a 400 for the whole request (nothing written) if any item breaks the
    schema: partial success is for what the data refuses (404, 403, 409), and a request the
    schema refuses is refused, as generated clients and schemathesis expect."""
    from .problems import body_errors

    if any(errors and _validation_status(body_errors(errors)) is None for errors in report):
        raise exceptions.ValidationError(report)


def item_result(index: int, errors, *, written_status: int = 201, id: int | None = None) -> dict:
    """One item's result in a 207: its status (what the item alone would have answered) and
    its id, or its problems with their pointers."""
    from .problems import body_errors

    if not errors:
        return {"index": index, "status": written_status, "id": id}
    entries = body_errors(errors, f"/{index}")
    found = _validation_status(entries)
    return {"index": index, "status": found[0] if found else 400, "id": None, "errors": entries}


MULTI_STATUS_SCHEMAS = {
    "ItemResult": {
        "type": "object",
        "properties": {
            "index": {"type": "integer", "minimum": 0, "description": "The item's position."},
            "status": {
                "type": "integer",
                "description": "201 created, 200 updated; 4xx: refused, as the item alone "
                "would have been, with its `errors`.",
            },
            "id": {"type": "integer", "nullable": True},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
        },
        "required": ["index", "status", "id"],
    },
    "MultiStatus": {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
            "written": {"type": "integer", "minimum": 0},
            "refused": {"type": "integer", "minimum": 0},
        },
        "required": ["results", "written", "refused"],
    },
}
MULTI_STATUS_RESPONSE = {
    "description": "all_or_nothing=false: the good items were written; one result per item.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MultiStatus"}}},
}
# (path, method) of the bulk endpoints that take all_or_nothing=false, declared by each.
PARTIAL_BULK: set[tuple[str, str]] = set()


def add_partial_bulk(result, generator, request, public):
    """drf-spectacular postprocessing hook: the partial mode's parameter and 207 answer."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(MULTI_STATUS_SCHEMAS)
    for path, method in PARTIAL_BULK:
        operation = result.get("paths", {}).get(path, {}).get(method)
        if operation:
            operation.setdefault("parameters", []).append(ALL_OR_NOTHING_PARAMETER)
            operation["responses"]["207"] = MULTI_STATUS_RESPONSE
    return result


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: OpenAPI links from each create to what can be done
    with what it created (retrieve, update, delete by its id), for clients and for
    schemathesis's stateful phase."""
    paths = result.get("paths", {})
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        detail = paths.get(f"{path}{{id}}/")
        if not created or not detail:
            continue
        links = created.setdefault("links", {})
        for method in ("get", "put", "patch", "delete"):
            if method in detail:
                target = detail[method]["operationId"]
                links[target] = {
                    "operationId": target,
                    "parameters": {"id": "$response.body#/id"},
                    "description": f"{detail[method].get('summary', target)}: the one created.",
                }
    return result


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, strictly: `?ordering=` names fields this list sorts by, comma-separated,
    `-` for descending; anything else is a 400 naming the choices, not silently ignored, and
    the schema states the same as a pattern."""

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param, "")
        if not param:
            return self.get_default_ordering(view)
        valid = self._names(queryset, view, request)
        terms = param.split(",")
        if not all(term.removeprefix("-") in valid for term in terms):
            raise QueryParameterError(
                {
                    self.ordering_param: [
                        f"Sort by {', '.join(sorted(valid))}: comma-separated, a leading - "
                        "for descending."
                    ]
                }
            )
        return terms

    def _names(self, queryset, view, request=None) -> set[str]:
        return {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        names = "|".join(re.escape(name) for name in sorted(self._names(view.get_queryset(), view)))
        for parameter in parameters:
            parameter["schema"]["pattern"] = f"^(?:-?(?:{names})(?:,-?(?:{names}))*)?$"
            parameter["description"] = (
                "Sort by these fields, comma-separated; a leading - sorts descending."
            )
        return parameters
