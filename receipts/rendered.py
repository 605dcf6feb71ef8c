"""Receipts rendered once: each format of each sale is drawn the first time it is asked
for and kept on disk in the instance folder, keyed by the sale, its status and how it
is rendered (format, paper, mode, code page, renderer version).

The preview after a sale, the printer's job, a reprint and the download of the same
receipt then share one set of bytes, and the key doubles as the HTTP ETag, known
without loading the sale's lines. A receipt is a record of its moment: a copy printed
months later matches the original even if the booth was renamed since; a void changes
the status, so the voided receipt is drawn anew. The folder is bounded: past
``MAX_FILES`` the oldest files go.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound

from .document import ReceiptDocument, ZReportDocument
from .printers import PrintSettings

# Bump when a renderer's output changes, so kept receipts are drawn again.
RENDER_VERSION = "2"
MAX_FILES = 4000
PRUNE_EVERY = 200  # writes between two looks at the folder's size
FOLDER = "receipt-cache"

_lock = threading.Lock()
_writes = 0


def render_key(status: str, variant: str) -> str:
    """A short hash of what decides a sale's bytes besides the sale itself."""
    return hashlib.sha256(f"{RENDER_VERSION}|{status}|{variant}".encode()).hexdigest()[:20]


def variant_of(fmt: str, settings: PrintSettings, columns: int | None = None) -> str:
    """What besides the document decides the bytes of ``fmt``."""
    if fmt == "escpos":
        return (f"escpos:{settings.mode}:{settings.paper_mm}:{settings.encoding}:"
                f"{settings.codepage}:{settings.profile}")
    if fmt == "png":
        return f"png:{settings.paper_mm}"
    if fmt == "text":
        return f"text:{columns}"
    return fmt  # pdf (80 mm), a5: no setting changes them


def cache_folder(app: Flask) -> Path:
    return Path(app.instance_path) / FOLDER


def cached_bytes(app: Flask, *, name: str, key: str, render: Callable[[], bytes]) -> bytes:
    """The kept bytes for ``name`` (the sale's id) and ``key``, rendering and keeping
    them the first time. A folder that cannot be written only costs the cache."""
    folder = cache_folder(app) / name[:2]
    path = folder / f"{name}-{key}"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = render()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a receipt.
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
            part.write(data)
        os.replace(part.name, path)
    except OSError:
        app.logger.warning("receipt cache not writable: %s", folder)
        return data
    _maybe_prune(app)
    return data


def _maybe_prune(app: Flask) -> None:
    global _writes
    with _lock:
        _writes += 1
        if _writes % PRUNE_EVERY:
            return
    prune(app)


def prune(app: Flask, max_files: int = MAX_FILES) -> int:
    """Remove the oldest kept receipts beyond ``max_files``; returns how many went."""
    root = cache_folder(app)
    try:
        files = [(entry.stat().st_mtime, entry) for folder in root.iterdir()
                 if folder.is_dir() for entry in folder.iterdir() if entry.is_file()]
    except OSError:
        return 0
    if len(files) <= max_files:
        return 0
    files.sort()
    removed = 0
    for _mtime, entry in files[:len(files) - max_files]:
        try:
            entry.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def render_format(doc: ReceiptDocument | ZReportDocument, fmt: str, settings: PrintSettings,
                  columns: int | None = None) -> bytes:
    """Draw ``doc`` in ``fmt``: png, escpos, pdf, a5 or text."""
    if fmt == "png":
        from .raster import render_png

        return render_png(doc, paper_mm=settings.paper_mm)
    if fmt == "text":
        from .layout import render_text

        return ("\n".join(render_text(doc, columns or 48)) + "\n").encode()
    if fmt == "escpos":
        from .escpos_out import escpos_bytes

        return escpos_bytes(doc, mode=settings.mode, paper_mm=settings.paper_mm,
                            encoding=settings.encoding, codepage=settings.codepage,
                            profile=settings.profile)
    from . import pdf

    if isinstance(doc, ZReportDocument):
        return pdf.zreport_pdf(doc)
    return pdf.receipt_pdf_a5(doc) if fmt == "a5" else pdf.receipt_pdf_80mm(doc)


def job_format(settings: PrintSettings) -> str:
    """The format the configured printer takes: a PDF for pdf://, else ESC/POS."""
    return "pdf" if settings.target.wants_pdf else "escpos"


def receipt_bytes(app: Flask, *, sale_id: str, status: str, fmt: str,
                  settings: PrintSettings, document: Callable[[], ReceiptDocument],
                  columns: int | None = None) -> tuple[bytes, str]:
    """The receipt of sale ``sale_id`` in ``fmt`` and its ETag: read from the kept file,
    or drawn from ``document()`` the first time and kept."""
    key = render_key(status, variant_of(fmt, settings, columns))
    data = cached_bytes(app, name=sale_id, key=key,
                        render=lambda: render_format(document(), fmt, settings, columns))
    return data, f"{sale_id}-{key}"


def sale_stamp(session: Session, *, booth_id: int, sale_id: str) -> tuple[str, str]:
    """``(id, status)`` of a sale of this booth, one indexed read, or 404 as
    ``counter.get_sale`` answers: all a kept receipt needs to be found."""
    from pos.counter_models import Sale

    try:
        key = str(uuid.UUID(sale_id))
    except ValueError:
        key = None
    row = session.execute(select(Sale.id, Sale.status).where(
        Sale.id == key, Sale.booth_id == booth_id)).one_or_none() if key else None
    if row is None:
        raise NotFound(_("Không tìm thấy hóa đơn %(id)s.", id=sale_id), code="sale_not_found")
    return row.id, row.status
