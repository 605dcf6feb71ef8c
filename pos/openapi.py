"""An OpenAPI document built from the routes this instance actually serves.

Request bodies are the very pydantic models that parse them (``core.input.takes``), their
JSON Schemas gathered under ``components/schemas``; path parameters are typed from the
route's converters; every answer is described: a success in JSON (or a document such as
a PDF), every failure in the contract's error format.
"""

from __future__ import annotations

import re

from flask import Flask
from pydantic.json_schema import models_json_schema
from werkzeug.routing import IntegerConverter, PathConverter

from core.input import MAX_DB_INT

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "field": {"type": "string"}}}},
}
REF = "#/components/schemas/{model}"


def _path_parameter(rule, name: str) -> dict:
    converter = rule._converters.get(name)
    if isinstance(converter, IntegerConverter):
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_DB_INT}
    else:
        schema = {"type": "string", "minLength": 1}
        if not isinstance(converter, PathConverter):
            schema["pattern"] = "^[^/]+$"
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _responses() -> dict:
    success = {"description": "ok", "content": {
        "application/json": {"schema": {"type": "object"}},
        "*/*": {"schema": {}}}}
    error = {"description": "refused, in the error format", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
        "text/html": {"schema": {"type": "string"}}}}
    return {"2XX": success, "3XX": {"description": "redirect"}, "4XX": error, "5XX": error}


def _request_body(view, refs: dict) -> dict | None:
    model = getattr(view, "request_model", None)
    if model is not None:
        return {"required": not getattr(view, "request_optional", False),
                "content": {"application/json": {"schema": refs[model]}}}
    field = getattr(view, "request_file", None)
    if field:
        return {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [field],
            "properties": {field: {"type": "string", "format": "binary"}}}}}}
    return None


def _schemas(views) -> tuple[dict, dict]:
    """Each request model's ``$ref`` and every schema, shared definitions included."""
    models = sorted({getattr(v, "request_model", None) for v in views} - {None},
                    key=lambda m: (m.__module__, m.__qualname__))
    if not models:
        return {}, {}
    refs, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return {m: refs[(m, "validation")] for m in models}, top.get("$defs", {})


def build_spec(app: Flask) -> dict:
    """Every JSON route, its parameters and body, who may call it, its first docstring
    line and its answers."""
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
             if r.rule.startswith("/api/")]
    refs, schemas = _schemas(app.view_functions[r.endpoint] for r in rules)
    paths: dict[str, dict] = {}
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "allowed_roles", frozenset())
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        params = [_path_parameter(rule, name) for name in sorted(rule.arguments)]
        doc = (view.__doc__ or "").strip().splitlines()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc[0] if doc else rule.endpoint,
                "parameters": params,
                "x-roles": ("booth-credential" if getattr(view, "booth_credential", False)
                            else "public" if roles is None else sorted(roles)),
                "responses": _responses(),
            }
            body = _request_body(view, refs)
            if body is not None:
                operation["requestBody"] = body
            elif getattr(view, "request_none", False):
                operation["x-no-body"] = True
            if getattr(view, "booth_credential", False):
                operation["security"] = [{"bearer": []}]
            elif roles is not None:
                operation["security"] = [{"bearer": []}, {"session": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "OCOP showroom POS", "version": "1",
                 "description": f"role: {app.config['OCOP_ROLE']}"},
        "components": {
            "schemas": schemas | {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "paths": paths,
    }
