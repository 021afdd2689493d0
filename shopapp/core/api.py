"""JSON API plumbing: body parsing with one error envelope, pagination, and the OpenAPI registry.

Each API view is declared with `@documented(...)`, which records its request and response models;
`openapi_document(app)` walks the URL map and builds the OpenAPI 3 document from those records, so
the document is generated from the code that answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from flask import Flask, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.routing import IntegerConverter

from shopapp.core.db import MAX_ROW_ID
from shopapp.errors import DomainError, ValidationFailed

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


class Malformed(DomainError):
    status = 400
    code = "malformed"


# A row id in a request body: ids are PostgreSQL INTEGERs, so anything outside is refused (422) before
# it reaches the database driver (which would overflow: a 500). Paths: see core.urls.DatabaseIdConverter.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class ApiModel(BaseModel):
    """Request bodies: unknown fields are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def parse_body(model: type[M]) -> M:
    """Read the JSON body into `model`.

    :raise Malformed: (400) not JSON, or not a JSON object.
    :raise ValidationFailed: (422) fields missing or invalid; `fields` names each one.
    """
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Malformed("Le corps de la requête n'est pas du JSON valide.")
    if not isinstance(data, dict):
        raise Malformed("Le corps de la requête doit être un objet JSON.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("Certaines valeurs sont invalides.", fields=validation_fields(exc))


def validation_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "body"
        fields.setdefault(name, err["msg"])
    return fields


def parse_query(model: type[M]) -> M:
    """Read query-string parameters into `model` (422 with `fields` when invalid)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("Certains paramètres sont invalides.", fields=validation_fields(exc))


def respond(payload: BaseModel | dict[str, Any], status: int = 200) -> Response:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    response = jsonify(body)
    response.status_code = status
    return response


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: str
    query: type[BaseModel] | None


def documented(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: str = "public",
    query: type[BaseModel] | None = None,
) -> Callable[[F], F]:
    """Attach the OpenAPI description of an API view (see `openapi_document`)."""

    def decorate(view: F) -> F:
        view._openapi = Operation(summary, body, response, status, auth, query)  # type: ignore[attr-defined]
        return view

    return decorate


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def _path_schema(rule: Any, arg: str) -> dict[str, Any]:
    """The schema of a path argument as its URL converter accepts it (`<int:…>`: digits only)."""
    converter = rule._converters.get(arg)
    if isinstance(converter, IntegerConverter):
        schema: dict[str, Any] = {"type": "integer", "minimum": converter.min or 0}
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    return {"type": "string"}


def openapi_document(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the URL map and the `@documented` records."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, "_openapi", None)
        if op is None:
            continue
        path = rule.rule
        parameters = []
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
            path = path.replace(f"<string:{arg}>", "{" + arg + "}")
            parameters.append({"name": arg, "in": "path", "required": True, "schema": _path_schema(rule, arg)})
        if op.query is not None:
            for name, field in op.query.model_fields.items():
                parameters.append({"name": field.alias or name, "in": "query", "required": field.is_required(),
                                   "schema": {"type": "string"}})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "parameters": parameters,
                "responses": {
                    str(op.status): {
                        "description": "OK",
                        "content": {"application/json": {"schema": ref(op.response)}} if op.response else {},
                    },
                    "default": {
                        "description": "Error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
            if op.auth != "public":
                operation["security"] = [{"bearer": []}]
            if op.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(op.body)}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Adopte mon commerçant", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


class Page(BaseModel):
    """Pagination parameters shared by every list: page ≥ 1, 1 ≤ per_page ≤ 100."""

    model_config = ConfigDict(extra="ignore")

    page: int = 1
    per_page: int = 20

    def model_post_init(self, context: Any) -> None:
        fields: dict[str, str] = {}
        if self.page < 1:
            fields["page"] = "doit être ≥ 1"
        if not 1 <= self.per_page <= 100:
            fields["per_page"] = "doit être entre 1 et 100"
        if fields:
            raise ValidationFailed("Pagination invalide.", fields=fields)
