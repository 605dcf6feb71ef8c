"""Parsing a JSON request body against a declared schema: one way for every JSON view.

The body goes through the app's JSON provider (``core.safejson``: depth-bounded, valid
Unicode, NFC), then a pydantic model. The first problem answers in the contract's error
format, in Vietnamese, naming its field the way a client wrote it (``lines[0].qty``):
400 ``malformed`` for a body that is not a JSON object, 422 ``required`` for a missing
field, ``invalid_type`` for a value of the wrong JSON type, ``invalid`` for one out of
bounds (a model without ``typed_errors`` answers ``invalid`` for all three). The model a
view reads is recorded on it (``@takes``), so the OpenAPI document describes the very
schema that parses the input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError, model_validator
from werkzeug.routing import IntegerConverter, Map

from core.errors import N_, DomainError, Malformed


def json_body() -> object:
    """The request's JSON as the app's provider read it, or 400 ``malformed``."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise Malformed(_("Nội dung yêu cầu phải là JSON hợp lệ (UTF-8)."))
    return data


def _number(value: Any) -> str:
    """``2000000000`` as ``2.000.000.000``, as a Vietnamese reader writes it."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def _where(loc: tuple, data: object) -> str:
    """The field as the client wrote it: the path through ``data``, leaving out the names
    pydantic adds for a union's branches (they are no keys of the body)."""
    parts: list[str] = []
    current = data
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, list) and isinstance(step, int) and step < len(current):
            parts.append(f"[{step}]")
            current = current[step]
        elif isinstance(current, dict) and (step in current or last):
            parts.append(("." if parts else "") + str(step))
            current = current.get(step)
        elif last:
            parts.append(("." if parts else "") + str(step))
    return "".join(parts)


_TYPE_MESSAGES = {
    "int": N_("%(f)s phải là số nguyên."),
    "string": N_("%(f)s phải là chuỗi ký tự."),
    "list": N_("%(f)s phải là một danh sách."),
    "dict": N_("%(f)s phải là một đối tượng."),
    "bool": N_("%(f)s phải là true hoặc false."),
}


def _message(kind: str, field: str, ctx: dict) -> tuple[str, str]:
    """The error's code and Vietnamese message for one pydantic error type."""
    if kind == "missing":
        return "required", _("Thiếu trường %(f)s.", f=field)
    for prefix, family in (("int", "int"), ("string", "string"), ("list", "list"),
                           ("dict", "dict"), ("model", "dict"), ("bool", "bool")):
        if kind.startswith(prefix) and (kind.endswith("_type") or kind == "int_from_float"):
            return "invalid_type", _(_TYPE_MESSAGES[family], f=field)
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return "invalid", _("%(f)s phải từ %(n)s trở lên.", f=field, n=_number(bound)) \
            if kind == "greater_than_equal" else _("%(f)s phải lớn hơn %(n)s.", f=field,
                                                    n=_number(bound))
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return "invalid", _("%(f)s tối đa là %(n)s.", f=field, n=_number(bound))
    if kind in ("string_too_long", "too_long"):
        return "invalid", _("%(f)s quá dài.", f=field)
    if kind in ("string_too_short", "too_short"):
        return "invalid", _("%(f)s không được để trống.", f=field)
    if kind in ("literal_error", "enum"):
        return "invalid", _("%(f)s phải là một trong: %(v)s.", f=field,
                            v=str(ctx.get("expected", "")).replace("'", ""))
    if kind == "extra_forbidden":
        return "invalid", _("Trường không được hỗ trợ: %(f)s.", f=field)
    return "invalid", _("Trường %(f)s không hợp lệ.", f=field)


def parse(model: type[BaseModel], data: object, messages: dict[str, str] | None = None):
    """Validate ``data`` against a schema; the first problem answers 422 naming its field
    (``messages`` may give a field a message of its own)."""
    if not isinstance(data, dict):
        raise Malformed(_("Nội dung yêu cầu phải là một đối tượng JSON."))
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = _where(first["loc"], data)
        kind = first["type"]
        if kind.startswith("ocop_"):  # a rule of ours, raised with its own message
            code, message = kind.removeprefix("ocop_"), _(first["msg"])
        elif first.get("input", 0) is None and kind.endswith("_type"):
            code, message = "required", _("Thiếu trường %(f)s.", f=field)  # null = absent
        else:
            code, message = _message(kind, field, first.get("ctx") or {})
        if not getattr(model, "typed_errors", False):
            code = "invalid"  # the older APIs answer every schema refusal as ``invalid``
        if messages and field in messages:
            message = _(messages[field])
        raise DomainError(message, field=field or None, code=code) from None


def takes(model: type[BaseModel], *, optional: bool = False,
          messages: dict[str, str] | None = None,
          reader: Callable[[], object] = json_body) -> Callable:
    """The view reads its JSON body as ``model`` and gets it as ``body=``; the model is
    recorded on the view for the OpenAPI document. An ``optional`` body may be absent;
    ``reader`` reads the JSON (a sync batch is read exactly as hashed)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if optional and not request.get_data(cache=True):
                kwargs["body"] = model()
            else:
                kwargs["body"] = parse(model, reader(), messages)
            return view(*args, **kwargs)

        wrapped.request_model = model
        wrapped.request_optional = optional
        return wrapped

    return decorate


def no_body(view: Callable) -> Callable:
    """Marks a POST that reads no body (a command such as "print again"), so the OpenAPI
    document says so rather than leaving it out."""
    view.request_model = None
    view.request_none = True
    return view


def takes_file(field: str) -> Callable:
    """Marks a multipart upload of one file in ``field``, for the OpenAPI document."""

    def mark(view: Callable) -> Callable:
        view.request_file = field
        return view

    return mark


MAX_DB_INT = 2**63 - 1  # the largest INTEGER of SQLite and PostgreSQL (BIGINT)


def check_db_integers(value: object, path: str = "") -> None:
    """Refuse (422, naming the field) any integer in ``value`` that no database column
    holds: handed on, it would overflow in the driver, a 500."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not -MAX_DB_INT - 1 <= value <= MAX_DB_INT:
            raise DomainError(_("%(f)s quá lớn.", f=path or "body"), field=path or None,
                              code="invalid")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_db_integers(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_db_integers(item, f"{path}.{key}" if path else str(key))


class DbIntegers(BaseModel):
    """A body whose values go to the services as sent (they check them with messages of
    their own): every integer in it still fits a database column."""

    @model_validator(mode="before")
    @classmethod
    def _fits_the_database(cls, data: object) -> object:
        check_db_integers(data)
        return data


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` that matches no id a database cannot hold: ``/products/2**63`` is a
    missing page (404), not an overflow deep in the driver (500)."""

    def __init__(self, map: Map, *args, max: int | None = None, **kwargs) -> None:
        super().__init__(map, *args, max=MAX_DB_INT if max is None else max, **kwargs)


class BoundedMap(Map):
    """The app's URL map, with ``int`` bounded as above for every blueprint."""

    default_converters = {**Map.default_converters, "int": BoundedIntConverter}


def is_ascii_digits(text: str) -> bool:
    """True for ``"0"``–``"9"`` only: ``"²".isdigit()`` is true and ``int("²")`` fails."""
    return text.isascii() and text.isdigit()
