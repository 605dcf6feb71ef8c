"""An OpenAPI document built from the routes this instance actually serves."""

from __future__ import annotations

import re

from flask import Flask

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": "string"}}}},
}


def build_spec(app: Flask) -> dict:
    """Every JSON route, its methods, who may call it and its first docstring line."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "allowed_roles", frozenset())
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in rule.arguments]
        doc = (view.__doc__ or "").strip().splitlines()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc[0] if doc else rule.endpoint,
                "parameters": params,
                "x-roles": "public" if roles is None else sorted(roles),
                "responses": {"default": {"description": "error", "content": {
                    "application/json": {"schema": ERROR_SCHEMA}}}},
            }
            if roles is not None:
                operation["security"] = [{"bearer": []}, {"session": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "OCOP showroom POS", "version": "1",
                 "description": f"role: {app.config['OCOP_ROLE']}"},
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "paths": paths,
    }
