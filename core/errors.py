"""Domain errors and their rendering: one shape for every failure the API reports."""

from __future__ import annotations

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from core.extensions import db


class DomainError(Exception):
    """A rule was broken; the request writes nothing and the caller is told why."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 status: int | None = None, after_rollback=None):
        super().__init__(message)
        self.message = message
        self.field = field
        # What must be kept although the request failed (a failed password count),
        # written in a transaction of its own after the rollback.
        self.after_rollback = after_rollback
        if code:
            self.code = code
        if status:
            self.status = status

    def to_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class Malformed(DomainError):
    status = 400
    code = "malformed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def wants_json() -> bool:
    """API routes and JSON clients get JSON errors; people get pages."""
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(err: DomainError):
    return jsonify(err.to_json()), err.status


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated when shown."""
    return message


_HTTP_MESSAGES = {
    400: ("malformed", N_("Yêu cầu không hợp lệ.")),
    401: ("unauthorized", N_("Cần đăng nhập.")),
    403: ("forbidden", N_("Bạn không có quyền làm việc này.")),
    404: ("not_found", N_("Không tìm thấy.")),
    405: ("method_not_allowed", N_("Phương thức không được hỗ trợ.")),
    413: ("too_large", N_("Dữ liệu gửi lên quá lớn.")),
    429: ("too_many_attempts", N_("Quá nhiều lần thử, vui lòng đợi.")),
    500: ("server_error", N_("Lỗi hệ thống, vui lòng thử lại.")),
}


def _plain_error(code: str, message: str, status: int):
    """A failure that is no rule of ours (CSRF, HTTP, a bug): JSON or the error page."""
    db.session.rollback()
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", message=message, status=status), status


RETRY_AFTER_SECONDS = 2


def is_lock_timeout(err: OperationalError) -> bool:
    """SQLite's lock wait ran out, or PostgreSQL gave up on a lock or a deadlock."""
    text = str(getattr(err, "orig", err)).lower()
    code = getattr(getattr(err, "orig", None), "sqlstate", None)
    return ("database is locked" in text or "database table is locked" in text
            or code in ("55P03", "40P01", "40001"))


def busy_response():
    """503 with Retry-After: the request wrote nothing and may simply be sent again
    (a sale with the same id is answered once)."""
    db.session.rollback()
    message = _("Quầy đang bận ghi dữ liệu, vui lòng thử lại sau giây lát.")
    if wants_json():
        response = jsonify({"error": {"code": "busy", "message": message}})
    else:
        response = make_response(render_template("error.html", message=message,
                                                 status=503))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Every failure rolls the session back, then answers in the contract's JSON shape."""

    @app.errorhandler(OperationalError)
    def handle_database_error(err: OperationalError):
        if is_lock_timeout(err):
            return busy_response()
        if app.testing:
            raise err
        app.logger.exception("database error")
        return _plain_error("server_error", _("Lỗi hệ thống, vui lòng thử lại."), 500)

    @app.errorhandler(DomainError)
    def handle_domain_error(err: DomainError):
        db.session.rollback()
        if getattr(err, "after_rollback", None) is not None:
            try:
                err.after_rollback(db.session)
                db.session.commit()
            except OperationalError as busy:
                if not is_lock_timeout(busy):
                    raise
                return busy_response()
        if wants_json():
            return error_response(err)
        # A refusal (401/403) is no form mistake: answer it with its own status rather
        # than bouncing back to the form, which would hide it as a 303.
        if request.method == "GET" or err.status in (401, 403):
            return render_template("error.html", message=err.message,
                                   status=err.status), err.status
        flash(err.message, "error")  # a form post: back to the form, with the reason
        return redirect(request.referrer or "/"), 303

    @app.errorhandler(CSRFError)
    def handle_csrf_error(err: CSRFError):
        return _plain_error("csrf", _("Phiên làm việc đã hết hạn hoặc thiếu mã CSRF. "
                                      "Vui lòng tải lại trang."), 400)

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException):
        code, message = _HTTP_MESSAGES.get(err.code or 500, ("error", err.description or ""))
        return _plain_error(code, _(message), err.code or 500)

    if app.testing:
        return  # let tests see the real traceback

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unhandled error")
        return _plain_error("server_error", _("Lỗi hệ thống, vui lòng thử lại."), 500)
