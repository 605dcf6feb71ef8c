"""Parsing a JSON request body against a declared schema: one way for every JSON view.

The body goes through the app's JSON provider (``pos.safejson``: depth-bounded, valid
Unicode, NFC), then a pydantic model; the first problem answers 422 naming its field.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from pos.errors import DomainError, Malformed


def json_body() -> object:
    """The request's JSON as the app's provider read it, or 400 ``malformed``."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise Malformed(_("Nội dung yêu cầu phải là JSON hợp lệ (UTF-8)."))
    return data


def parse(model: type[BaseModel], data: object):
    """Validate ``data`` against a schema; the first problem answers 422 naming its field."""
    if not isinstance(data, dict):
        raise Malformed(_("Nội dung yêu cầu phải là một đối tượng JSON."))
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]"
                         for p in first["loc"]).replace(".[", "[")
        raise DomainError(_("Trường %(f)s không hợp lệ: %(why)s", f=where, why=first["msg"]),
                          field=where, code="invalid") from None


def is_ascii_digits(text: str) -> bool:
    """True for ``"0"``–``"9"`` only: ``"²".isdigit()`` is true and ``int("²")`` fails."""
    return text.isascii() and text.isdigit()
