"""SCIM 2.0 (RFC 7644) over plain Django views: every payload is read and written through
scim2-models, so the resources, errors, list responses and PATCH operations are the RFC's,
not ours. Authentication is the organization's SCIM bearer token (tenancy.middleware)."""

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Bulk,
    ChangePassword,
    Context,
    Error,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    User,
)

from . import services
from .models import ScimGroup, ScimUser

CONTENT_TYPE = "application/scim+json"
MAX_RESULTS = 200
# The filters provisioning clients send to find one resource: `attribute eq "value"`.
FILTER = re.compile(r'^\s*(\w+(?:\.\w+)?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
USER_FILTERS = {"username": "user_name__iexact", "externalid": "external_id", "id": "scim_id"}
GROUP_FILTERS = {"displayname": "display_name", "externalid": "external_id", "id": "scim_id"}


def _response(payload: dict, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return _response(error.model_dump(scim_ctx=Context.DEFAULT), status)


def scim_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A SCIM endpoint: a live SCIM token of the organization (401 otherwise, never a page),
    one transaction, and every refusal as a SCIM Error."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "scim_token", None) is None:
            response = _error(401, "A live SCIM bearer token of the organization is needed.")
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except SCIMException as error:
            return _response(error.to_error().model_dump(scim_ctx=Context.DEFAULT), error.status)
        except ValidationError as error:
            [first, *_] = Error.from_validation_errors(error)
            return _response(first.model_dump(scim_ctx=Context.DEFAULT), first.status or 400)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "The body is not JSON.", "invalidSyntax")
        except services.LastOwner as error:
            return _error(409, str(error), "mutability")

    return wrapper


def _body(request: HttpRequest) -> dict:
    body = json.loads(request.body.decode())
    if not isinstance(body, dict):
        raise json.JSONDecodeError("not an object", "", 0)
    return body


def _url(request: HttpRequest, name: str, scim_id: Any = None) -> str:
    path = reverse(f"scim:{name}", args=[scim_id] if scim_id is not None else [])
    return request.build_absolute_uri(path)


def _meta(request: HttpRequest, kind: str, row: ScimUser | ScimGroup, name: str) -> dict:
    return {
        "resourceType": kind,
        "created": row.created_at.isoformat(),
        "lastModified": row.updated_at.isoformat(),
        "location": _url(request, name, row.scim_id),
    }


def _user_out(request: HttpRequest, person: ScimUser, context=Context.RESOURCE_QUERY_RESPONSE):
    payload = {
        **person.data,
        "id": str(person.scim_id),
        "meta": _meta(request, "User", person, "user"),
    }
    resource: Any = User.model_validate(payload, scim_ctx=context)
    return resource.model_dump(scim_ctx=context, response_parameters=_attributes(request))


def _group_out(request: HttpRequest, group: ScimGroup, context=Context.RESOURCE_QUERY_RESPONSE):
    """The group as its provider wrote it, its members those still in the organization (each
    with its reference and type, and the display the provider gave)."""
    people = {p.pk: str(p.scim_id) for p in ScimUser.objects.filter(pk__in=group.members)}
    sent = {m.get("value"): m for m in group.data.get("members") or []}
    members = []
    for pk in group.members:
        if pk in people:
            scim_id = people[pk]
            members.append(
                {
                    "type": "User",
                    **sent.get(scim_id, {}),
                    "value": scim_id,
                    "$ref": _url(request, "user", scim_id),
                }
            )
    payload = {
        **group.data,
        "id": str(group.scim_id),
        "members": members or None,
        "meta": _meta(request, "Group", group, "group"),
    }
    resource: Any = Group.model_validate(payload, scim_ctx=context)
    return resource.model_dump(scim_ctx=context, response_parameters=_attributes(request))


def _params(request: HttpRequest) -> dict:
    """The query's parameters: from the URL, or from a POST /.search body (RFC 7644 §3.4.3),
    which carries them as JSON with lists for the attributes."""
    if request.method == "POST":
        return getattr(request, "search", {})
    params: dict[str, Any] = dict(request.GET.items())
    for key in ("attributes", "excludedAttributes"):
        if params.get(key):
            params[key] = params[key].split(",")
    return params


def _attributes(request: HttpRequest) -> ResponseParameters:
    params = _params(request)
    return ResponseParameters.model_validate(
        {key: params[key] for key in ("attributes", "excludedAttributes") if params.get(key)}
    )


def _stored(resource: User | Group) -> dict:
    """What is kept of a resource a client wrote: what a response may carry back (never a
    password), without the server's own id and meta."""
    data = resource.model_dump(scim_ctx=Context.RESOURCE_CREATION_RESPONSE)
    for key in ("id", "meta"):
        data.pop(key, None)
    return data


def _page(request: HttpRequest, rows, out: Callable[[Any], dict], lookups: dict) -> HttpResponse:
    params = _params(request)
    query = str(params.get("filter") or "").strip()
    if query:
        match = FILTER.match(query)
        lookup = lookups.get(match[1].lower()) if match else None
        if lookup is None:
            return _error(
                400,
                "Filters supported: " + ", ".join(f'{k} eq "…"' for k in lookups) + ".",
                "invalidFilter",
            )
        assert match is not None  # a lookup was found for it
        value = json.loads(f'"{match[2]}"')
        if lookup == "scim_id" and not _is_uuid(value):
            rows = rows.none()
        else:
            rows = rows.filter(**{lookup: value})
    try:
        start = max(int(params.get("startIndex") or 1), 1)
        count = min(max(int(params.get("count", MAX_RESULTS)), 0), MAX_RESULTS)
    except ValueError:
        return _error(400, "startIndex and count are whole numbers.", "invalidValue")
    total = rows.count()
    listed = list(rows[start - 1 : start - 1 + count]) if count else []
    return _response(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(listed),
            "Resources": [out(row) for row in listed],
        }
    )


def _search(request: HttpRequest) -> None:
    """Read a POST /.search body into the request's query parameters."""
    request.search = SearchRequest.model_validate(  # type: ignore[attr-defined]
        _body(request), scim_ctx=Context.SEARCH_REQUEST
    ).model_dump(scim_ctx=Context.SEARCH_REQUEST)


@scim_endpoint
def users_search(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "POST a SearchRequest.")
    _search(request)
    return _page(request, ScimUser.objects.all(), lambda p: _user_out(request, p), USER_FILTERS)


@scim_endpoint
def groups_search(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "POST a SearchRequest.")
    _search(request)
    return _page(request, ScimGroup.objects.all(), lambda g: _group_out(request, g), GROUP_FILTERS)


@scim_endpoint
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, ScimUser.objects.all(), lambda p: _user_out(request, p), USER_FILTERS)
    if request.method != "POST":
        return _error(405, "GET or POST.")
    resource: Any = User.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    data = _stored(resource)
    if ScimUser.objects.filter(user_name__iexact=data["userName"]).exists():
        return _error(409, "A user with this userName exists.", "uniqueness")
    person = services.user_create(data=data)
    body = _user_out(request, person, Context.RESOURCE_CREATION_RESPONSE)
    return _response(body, 201, body["meta"]["location"])


def _find(model: type[ScimUser] | type[ScimGroup], scim_id: str) -> Any:
    """The organization's resource with this id; None for any other id, a non-UUID too."""
    return model.objects.filter(scim_id=scim_id).first() if _is_uuid(scim_id) else None


def _written(request: HttpRequest, model: Any, current: dict) -> Any:
    """The resource a PUT replaces `current` with, or `current` with a PATCH applied; None
    for another method."""
    if request.method == "PUT":
        return model.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    if request.method != "PATCH":
        return None
    patch = PatchOp[model].model_validate(_body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    resource = model.model_validate(current, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    patch.patch(resource)
    return resource


def _written_context(request: HttpRequest) -> Context:
    if request.method == "PATCH":
        return Context.RESOURCE_PATCH_RESPONSE
    return Context.RESOURCE_REPLACEMENT_RESPONSE


@scim_endpoint
def user(request: HttpRequest, scim_id: str) -> HttpResponse:
    person = _find(ScimUser, scim_id)
    if person is None:
        return _error(404, "No such user in this organization.")
    if request.method == "GET":
        return _response(_user_out(request, person))
    if request.method == "DELETE":
        services.user_delete(person=person)
        return HttpResponse(status=204)
    resource = _written(request, User, {**person.data, "id": str(person.scim_id)})
    if resource is None:
        return _error(405, "GET, PUT, PATCH or DELETE.")
    data = _stored(resource)
    others = ScimUser.objects.filter(user_name__iexact=data["userName"]).exclude(pk=person.pk)
    if others.exists():
        return _error(409, "Another user has this userName.", "uniqueness")
    services.user_replace(person=person, data=data)
    return _response(_user_out(request, person, _written_context(request)))


def _members_of(resource: Group) -> list[ScimUser] | HttpResponse:
    ids = [m.value for m in resource.members or [] if m.value]
    people = {
        str(p.scim_id): p
        for p in ScimUser.objects.filter(scim_id__in=[i for i in ids if _is_uuid(i)])
    }
    missing = [i for i in ids if i not in people]
    if missing:
        return _error(400, f"No such user in this organization: {missing[0]}.", "invalidValue")
    return list(dict.fromkeys(people[i] for i in ids))


def _is_uuid(value: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F-]{32,36}", value) is not None


@scim_endpoint
def groups(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(
            request, ScimGroup.objects.all(), lambda g: _group_out(request, g), GROUP_FILTERS
        )
    if request.method != "POST":
        return _error(405, "GET or POST.")
    resource: Any = Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    if ScimGroup.objects.filter(display_name=resource.display_name).exists():
        return _error(409, "A group with this displayName exists.", "uniqueness")
    members = _members_of(resource)
    if isinstance(members, HttpResponse):
        return members
    group = services.group_save(group=ScimGroup(), data=_stored(resource), members=members)
    body = _group_out(request, group, Context.RESOURCE_CREATION_RESPONSE)
    return _response(body, 201, body["meta"]["location"])


@scim_endpoint
def group(request: HttpRequest, scim_id: str) -> HttpResponse:
    found = _find(ScimGroup, scim_id)
    if found is None:
        return _error(404, "No such group in this organization.")
    if request.method == "GET":
        return _response(_group_out(request, found))
    if request.method == "DELETE":
        services.group_delete(group=found)
        return HttpResponse(status=204)
    resource = _written(request, Group, _group_out(request, found))
    if resource is None:
        return _error(405, "GET, PUT, PATCH or DELETE.")
    others = ScimGroup.objects.filter(display_name=resource.display_name).exclude(pk=found.pk)
    if others.exists():
        return _error(409, "Another group has this displayName.", "uniqueness")
    members = _members_of(resource)
    if isinstance(members, HttpResponse):
        return members
    services.group_save(group=found, data=_stored(resource), members=members)
    context = (
        Context.RESOURCE_PATCH_RESPONSE
        if request.method == "PATCH"
        else Context.RESOURCE_REPLACEMENT_RESPONSE
    )
    return _response(_group_out(request, found, context))


def _config(request: HttpRequest) -> ServiceProviderConfig:
    return ServiceProviderConfig.model_validate(
        {
            "documentationUri": request.build_absolute_uri("/api/v1/docs/"),
            "patch": Patch(supported=True),
            "bulk": Bulk(supported=False, max_operations=0, max_payload_size=0),
            "filter": Filter(supported=True, max_results=MAX_RESULTS),
            "changePassword": ChangePassword(supported=False),
            "sort": Sort(supported=False),
            "etag": ETag(supported=False),
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "The organization's SCIM token, made by an owner at "
                    "/org/provisioning/.",
                    "primary": True,
                }
            ],
            "meta": _meta_of("ServiceProviderConfig", _url(request, "config")),
        }
    )


def _meta_of(kind: str, location: str) -> Meta:
    return Meta(resource_type=kind, location=location)


@scim_endpoint
def service_provider_config(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _error(405, "Read only: GET.")
    return _response(_config(request).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _schemas() -> list[Schema]:
    return [User.to_schema(), Group.to_schema()]


def _schema_out(request: HttpRequest, schema: Schema) -> dict:
    schema.meta = _meta_of("Schema", _url(request, "schema", schema.id))
    return schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@scim_endpoint
def schemas(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _error(405, "Read only: GET.")
    listed = [_schema_out(request, s) for s in _schemas()]
    return _response(_list(listed))


@scim_endpoint
def schema(request: HttpRequest, schema_id: str) -> HttpResponse:
    if request.method != "GET":
        return _error(405, "Read only: GET.")
    found = next((s for s in _schemas() if s.id == schema_id), None)
    if found is None:
        return _error(404, "No such schema.")
    return _response(_schema_out(request, found))


def _resource_types(request: HttpRequest) -> list[dict]:
    listed = []
    for model, endpoint in ((User, "/Users"), (Group, "/Groups")):
        kind = ResourceType.from_resource(model)
        kind = kind.model_copy(update={"endpoint": endpoint})
        kind.meta = _meta_of("ResourceType", _url(request, "resource_type", kind.id))
        listed.append(kind.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    return listed


@scim_endpoint
def resource_types(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _error(405, "Read only: GET.")
    return _response(_list(_resource_types(request)))


@scim_endpoint
def resource_type(request: HttpRequest, type_id: str) -> HttpResponse:
    if request.method != "GET":
        return _error(405, "Read only: GET.")
    found = next((t for t in _resource_types(request) if t["id"] == type_id), None)
    if found is None:
        return _error(404, "No such resource type.")
    return _response(found)


def _list(resources: list[dict]) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@scim_endpoint
def search_all(request: HttpRequest) -> HttpResponse:
    """POST /.search across resource types: not offered (RFC 7644 §3.12: 501)."""
    return _error(
        501, "Search one resource type at a time: POST /Users/.search or /Groups/.search."
    )


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, "No such SCIM endpoint.")
