"""Static files and pages sent so a browser keeps what has not changed: this release's
static files under a content-hashed prefix, compressed once and cached for good; pages
with an ETag of their bytes."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from pathlib import Path

from flask import Flask, Response, abort, request

from core.auth import public

STATIC_DIR = Path(__file__).resolve().parent / "static"
YEAR = 365 * 24 * 3600


def static_digest(folder: Path) -> str:
    """A hash of every static file's name and bytes: the URL prefix of this release's
    static files. Any change gives every file a new URL, so the files can be cached for
    good (``immutable``), and an ES module's relative imports (``./cart.js``) resolve
    under the same prefix without rewriting anything."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def serve_static_and_pages_cacheably(app: Flask) -> None:
    """Static files under the content-hashed prefix are cached for a year; the same
    path under an old or no prefix (a page or module loaded before an upgrade) still
    answers, revalidated each time. Pages get an ETag of their bytes, so a reload of an
    unchanged page is a 304. Text is compressed (Flask-Compress: br or gzip)."""
    from flask_compress import Compress

    prefix = app.static_url_path
    # Registered before the hook below, so it runs after it (Flask runs after-request
    # hooks last-in first-out): a page gets its ETag on its plain bytes, then is
    # compressed (the ETag gains the encoding's name).
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Streamed responses stay as they are: this release's static files come
    # precompressed from PackedStatic.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)

    packed = PackedStatic(Path(app.static_folder))
    app.view_functions["static"] = packed.serve

    @app.get("/static/<path:filename>", endpoint="static_unversioned")
    @public
    def static_unversioned(filename: str):
        first, _sep, rest = filename.partition("/")
        if rest and len(first) == len(prefix.rsplit("/", 1)[-1]) and first.isalnum():
            filename = rest  # an older release's prefix
        return packed.serve(filename, immutable=False)

    @app.after_request
    def _cache_headers(response):
        if (request.method == "GET" and response.status_code == 200
                and response.mimetype == "text/html" and not response.is_streamed):
            response.add_etag()
            response.cache_control.private = True
            response.cache_control.no_cache = True
            response.make_conditional(request)
        return response


class PackedStatic:
    """This release's static files, each compressed once (brotli at its best setting,
    and gzip) the first time it is asked for, then served from memory: a year of
    ``immutable`` cache, the encoding the browser accepts, an ETag. A few hundred KB in
    all; compressing per request at a server's quick setting sent larger files."""

    COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")

    def __init__(self, folder: Path):
        self.folder = folder
        self.files: dict[str, tuple[str, str, dict[str, bytes]]] = {}

    def _pack(self, filename: str) -> tuple[str, str, dict[str, bytes]] | None:
        import brotli
        from werkzeug.security import safe_join

        path = safe_join(str(self.folder), filename)
        if path is None or not Path(path).is_file():
            return None
        raw = Path(path).read_bytes()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        bodies = {"": raw}
        if mimetype.startswith(self.COMPRESSIBLE) and len(raw) > 256:
            bodies["br"] = brotli.compress(raw, quality=11)
            bodies["gzip"] = gzip.compress(raw, 9, mtime=0)
        entry = (hashlib.sha256(raw).hexdigest()[:20], mimetype, bodies)
        self.files[filename] = entry
        return entry

    def serve(self, filename: str, *, immutable: bool = True):
        """The file for the browser's encoding, cached a year (``immutable``: under this
        release's hashed prefix) or revalidated every time (an old or no prefix)."""
        entry = self.files.get(filename) or self._pack(filename)
        if entry is None:
            abort(404)
        etag, mimetype, bodies = entry
        accepted = request.accept_encodings
        encoding = next((name for name in ("br", "gzip") if name in bodies
                         and accepted[name]), "")
        response = Response(bodies[encoding], mimetype=mimetype)
        if mimetype.startswith("text/") or mimetype == "application/javascript":
            response.charset = "utf-8"
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if len(bodies) > 1:
            response.vary.add("Accept-Encoding")
        response.set_etag(f"{etag}-{encoding or 'identity'}")
        if immutable:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
            response.cache_control.max_age = 0
        return response.make_conditional(request)
