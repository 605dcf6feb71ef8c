"""Stocktakes: count the shelves blind, see the differences, book them with a reason.

A stocktake covers the whole booth, one producer's goods or a list of products; only its
lines are touched. Counting is blind (the sheet and the count page never show what the
books say), a line's last count wins, and the differences are measured against the books
at the moment of the commit, when each one becomes a ``count`` move in the ledger.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.enums import EventType, StockMoveKind
from core.errors import Conflict, DomainError, NotFound
from core.models import Booth, User
from core.services import record_audit
from core.types import utcnow
from inventory.adjustments import move_to_json
from inventory.barcodes import BarcodeError, parse_scan
from inventory.models import (
    Barcode,
    Producer,
    Product,
    StockLevel,
    StockMove,
    Stocktake,
    StocktakeLine,
)
from inventory.services import post_move
from sync.outbox import append_event

MAX_COUNT = 100_000
MAX_LINES = 5_000
MAX_REASON = 300


def _lock(session: Session, booth: Booth) -> None:
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())


def get_stocktake(session: Session, *, booth: Booth, stocktake_id: str) -> Stocktake:
    """This booth's stocktake with its lines and products loaded; 404 otherwise."""
    stocktake = session.get(Stocktake, stocktake_id[:64], options=[
        selectinload(Stocktake.lines).selectinload(StocktakeLine.product)
        .selectinload(Product.barcodes)])
    if stocktake is None or stocktake.booth_id != booth.id:
        raise NotFound(_("Không có phiếu kiểm kê %(id)s ở quầy này.", id=stocktake_id[:64]),
                       field="id", code="stocktake_not_found")
    return stocktake


def _scope_products(session: Session, *, booth: Booth, producer_id: int | None,
                    product_ids: list[int] | None) -> tuple[str, list[int]]:
    if producer_id is not None and product_ids is not None:
        raise DomainError(_("Chọn một phạm vi: cả quầy, một chủ thể hoặc một danh sách sản "
                            "phẩm."), field="scope", code="bad_scope")
    stocked = select(StockLevel.product_id).where(StockLevel.booth_id == booth.id)
    if producer_id is not None:
        if isinstance(producer_id, bool) or not isinstance(producer_id, int) \
                or session.get(Producer, producer_id) is None:
            raise NotFound(_("Không có chủ thể mã số %(id)s.", id=producer_id),
                           field="producer_id", code="unknown_producer")
        ids = list(session.scalars(select(Product.id).where(
            Product.producer_id == producer_id,
            or_(Product.active.is_(True), Product.id.in_(stocked.where(
                StockLevel.on_hand != 0)))).order_by(Product.name)))
        if not ids:
            raise DomainError(_("Chủ thể này không có sản phẩm nào để kiểm kê."),
                              field="producer_id", code="empty_scope")
        return f"producer:{producer_id}", ids
    if product_ids is not None:
        if not isinstance(product_ids, list) or not product_ids:
            raise DomainError(_("Danh sách sản phẩm cần kiểm kê đang trống."),
                              field="product_ids", code="empty_scope")
        if len(product_ids) > MAX_LINES:
            raise DomainError(_("Phiếu kiểm kê có quá nhiều dòng."), field="product_ids")
        for i, pid in enumerate(product_ids):
            if isinstance(pid, bool) or not isinstance(pid, int):
                raise DomainError(_("Mã sản phẩm phải là số nguyên."),
                                  field=f"product_ids[{i}]", code="invalid")
        known = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
        for i, pid in enumerate(product_ids):
            if pid not in known:
                raise DomainError(_("Không có sản phẩm mã số %(id)s.", id=pid),
                                  field=f"product_ids[{i}]", code="unknown_product")
        return "products", list(dict.fromkeys(product_ids))
    # The whole booth: what it holds or has held, and is still sold or still on the shelf.
    ids = list(session.scalars(select(Product.id).join(
        StockLevel, (StockLevel.product_id == Product.id) & (StockLevel.booth_id == booth.id))
        .where(or_(Product.active.is_(True), StockLevel.on_hand != 0))
        .order_by(Product.name)))
    return "all", ids


def start_stocktake(session: Session, *, booth: Booth, by: User,
                    producer_id: int | None = None, product_ids: list[int] | None = None,
                    stocktake_id: str | None = None) -> tuple[Stocktake, bool]:
    """Open a stocktake over the whole booth, one producer or a list of products, with a
    line per product to count. The same ``stocktake_id`` again returns the stored one
    (``created`` False)."""
    if stocktake_id is not None:
        existing = session.get(Stocktake, stocktake_id)
        if existing is not None:
            if existing.booth_id != booth.id:
                raise Conflict(_("Mã phiếu kiểm kê %(id)s đã được dùng.", id=stocktake_id),
                               field="id", code="id_reused")
            return existing, False
    scope, ids = _scope_products(session, booth=booth, producer_id=producer_id,
                                 product_ids=product_ids)
    _lock(session, booth)
    count = session.scalar(select(func.count(Stocktake.id)).where(
        Stocktake.booth_id == booth.id)) or 0
    stocktake = Stocktake(booth_id=booth.id, number=f"KK-{booth.code}-{count + 1:05d}",
                          status="open", scope=scope, started_at=utcnow(),
                          started_by=by.username)
    if stocktake_id is not None:
        stocktake.id = stocktake_id
    stocktake.lines = [StocktakeLine(position=i, product_id=pid)
                       for i, pid in enumerate(ids)]
    session.add(stocktake)
    session.flush()
    record_audit(session, action="stocktake_start", actor=by, booth=booth,
                 target_type="stocktake", target_id=stocktake.id,
                 after={"number": stocktake.number, "scope": scope, "lines": len(ids)})
    return stocktake, True


def resolve_counts(session: Session, counts: object) -> list[tuple[int, int]]:
    """Check ``[{product_id | barcode, counted}]`` and name the products: whole, non-negative
    counts of known products. Raises on the first bad item, naming it."""
    if not isinstance(counts, list) or not counts:
        raise DomainError(_("Cần ít nhất một số đếm."), field="counts", code="invalid")
    if len(counts) > MAX_LINES:
        raise DomainError(_("Quá nhiều số đếm trong một lần gửi."), field="counts")
    resolved: list[tuple[int, int]] = []
    for i, item in enumerate(counts):
        where = f"counts[{i}]"
        if not isinstance(item, dict):
            raise DomainError(_("Mỗi số đếm là một đối tượng {product_id, counted}."),
                              field=where, code="invalid")
        counted = item.get("counted")
        if isinstance(counted, bool) or not isinstance(counted, int) \
                or not 0 <= counted <= MAX_COUNT:
            raise DomainError(_("Số đếm phải là số nguyên từ 0 đến %(n)s (dòng %(i)d).",
                                n=f"{MAX_COUNT:,}".replace(",", "."), i=i + 1),
                              field=f"{where}.counted", code="bad_quantity")
        product_id, code = item.get("product_id"), item.get("barcode")
        if (product_id is None) == (code is None):
            raise DomainError(_("Mỗi số đếm cần đúng một trong hai: product_id hoặc barcode "
                                "(dòng %(i)d).", i=i + 1), field=where, code="invalid")
        if code is not None:
            try:
                scan = parse_scan(code)
            except BarcodeError as err:
                raise DomainError(err.message, field=f"{where}.barcode", code=err.code) from None
            product_id = session.scalar(select(Barcode.product_id).where(
                Barcode.code == scan.lookup_code))
            if product_id is None:
                raise DomainError(_("Không tìm thấy sản phẩm có mã vạch %(code)s.",
                                    code=scan.code), field=f"{where}.barcode",
                                  code="unknown_barcode")
        elif isinstance(product_id, bool) or not isinstance(product_id, int) \
                or session.get(Product, product_id) is None:
            raise DomainError(_("Không có sản phẩm mã số %(id)s.", id=product_id),
                              field=f"{where}.product_id", code="unknown_product")
        resolved.append((product_id, counted))
    return resolved


def _ensure_open(stocktake: Stocktake) -> None:
    if stocktake.status != "open":
        raise Conflict(_("Phiếu kiểm kê %(n)s đã chốt, không nhận thêm số đếm hay chốt lại.",
                         n=stocktake.number), code="stocktake_closed")


def record_counts(session: Session, *, booth: Booth, stocktake: Stocktake, counts: object,
                  by: User) -> Stocktake:
    """Enter counts by product or barcode; a line's last count wins. A whole-booth count
    takes in a product found on the shelf that the books did not list; a partial one
    refuses a product outside its scope."""
    resolved = resolve_counts(session, counts)
    _lock(session, booth)
    session.refresh(stocktake)
    _ensure_open(stocktake)
    lines = {line.product_id: line for line in stocktake.lines}
    for i, (product_id, _counted) in enumerate(resolved):
        if product_id not in lines and stocktake.scope != "all":
            name = session.get(Product, product_id).name
            raise DomainError(_("“%(name)s” không thuộc phạm vi phiếu kiểm kê %(n)s.",
                                name=name, n=stocktake.number),
                              field=f"counts[{i}]", code="not_in_scope")
    for product_id, counted in resolved:
        line = lines.get(product_id)
        if line is None:
            line = StocktakeLine(position=len(lines), product_id=product_id)
            stocktake.lines.append(line)
            lines[product_id] = line
        line.counted = counted
    session.flush()
    return stocktake


def _uncounted(stocktake: Stocktake) -> list[str]:
    return [line.product.name for line in stocktake.lines if line.counted is None]


def stocktake_differences(session: Session, *, booth: Booth, stocktake: Stocktake) -> dict:
    """Per line the books, the count, the difference and its value at the catalogue
    price, with totals: against the books now while open, as booked once committed."""
    levels = {}
    if stocktake.status == "open":
        levels = dict(session.execute(select(StockLevel.product_id, StockLevel.on_hand).where(
            StockLevel.booth_id == booth.id,
            StockLevel.product_id.in_([line.product_id for line in stocktake.lines]))).all())
    rows, totals = [], {"lines": len(stocktake.lines), "counted": 0, "uncounted": 0,
                        "short_qty": 0, "over_qty": 0, "short_value": 0, "over_value": 0,
                        "net_qty": 0, "net_value": 0}
    for line in stocktake.lines:
        expected = line.expected if stocktake.status != "open" else levels.get(
            line.product_id, 0)
        diff = None if line.counted is None or expected is None else line.counted - expected
        value = None if diff is None else diff * line.product.price
        rows.append({"product_id": line.product_id, "code": line.product.code,
                     "name": line.product.name, "price": line.product.price,
                     "expected": expected, "counted": line.counted, "difference": diff,
                     "value": value})
        if diff is None:
            totals["uncounted"] += 1
            continue
        totals["counted"] += 1
        totals["net_qty"] += diff
        totals["net_value"] += value
        if diff < 0:
            totals["short_qty"] -= diff
            totals["short_value"] -= value
        elif diff > 0:
            totals["over_qty"] += diff
            totals["over_value"] += value
    return {"id": stocktake.id, "number": stocktake.number, "status": stocktake.status,
            "lines": rows, "totals": totals}


def commit_stocktake(session: Session, *, booth: Booth, stocktake: Stocktake, reason: object,
                     by: User) -> list[StockMove]:
    """Book every difference between the count and the books (read now) as a ``count``
    move with the reason; every line must be counted (zero is a count). Audited; the
    event carries the moves to central."""
    if not isinstance(reason, str) or not reason.strip():
        raise DomainError(_("Cần ghi lý do chốt kiểm kê."), field="reason",
                          code="missing_reason")
    if len(reason.strip()) > MAX_REASON:
        raise DomainError(_("Lý do tối đa %(n)d ký tự.", n=MAX_REASON), field="reason")
    reason = reason.strip()
    _lock(session, booth)
    session.refresh(stocktake)
    _ensure_open(stocktake)
    missing = _uncounted(stocktake)
    if missing:
        shown = ", ".join(missing[:10]) + ("…" if len(missing) > 10 else "")
        raise DomainError(_("Còn %(n)d dòng chưa đếm (ghi 0 nếu không còn hàng): %(names)s.",
                            n=len(missing), names=shown), field="counts",
                          code="line_not_counted")
    levels = dict(session.execute(select(StockLevel.product_id, StockLevel.on_hand).where(
        StockLevel.booth_id == booth.id,
        StockLevel.product_id.in_([line.product_id for line in stocktake.lines]))).all())
    now = utcnow()
    moves = []
    for line in stocktake.lines:
        line.expected = levels.get(line.product_id, 0)
        if line.counted != line.expected:
            moves.append(post_move(session, booth=booth, product=line.product,
                                   qty=line.counted - line.expected, kind=StockMoveKind.COUNT,
                                   reference=stocktake.number, note=reason[:300], by=by))
    stocktake.status = "committed"
    stocktake.committed_at = now
    stocktake.committed_by = by.username
    stocktake.reason = reason
    session.flush()
    report = stocktake_differences(session, booth=booth, stocktake=stocktake)
    record_audit(session, action="stocktake_commit", actor=by, booth=booth,
                 target_type="stocktake", target_id=stocktake.id, reason=reason,
                 after={"number": stocktake.number, "moves": len(moves),
                        "net_qty": report["totals"]["net_qty"],
                        "net_value": report["totals"]["net_value"]})
    append_event(session, booth=booth, type=EventType.STOCKTAKE_COMMITTED, occurred_at=now,
                 payload={"id": stocktake.id, "number": stocktake.number, "booth": booth.code,
                          "by": by.username, "at": now.isoformat(), "reason": reason,
                          "scope": stocktake.scope,
                          "lines": [{"product_id": line.product_id, "expected": line.expected,
                                     "counted": line.counted} for line in stocktake.lines],
                          "moves": [move_to_json(move) for move in moves]})
    session.flush()
    return moves


def count_moves(session: Session, *, booth: Booth, stocktake: Stocktake) -> list[StockMove]:
    """The moves a committed stocktake booked."""
    return list(session.scalars(select(StockMove).where(
        StockMove.booth_id == booth.id, StockMove.kind == "count",
        StockMove.reference == stocktake.number).order_by(StockMove.product_id)))


def take_stocktake(session: Session, *, booth: Booth, by: User, counts: object,
                   reason: object = None, stocktake_id: str | None = None
                   ) -> tuple[Stocktake, list[StockMove], bool]:
    """Start, count and commit in one go (the contract's ``POST /stocktakes``): a partial
    stocktake of exactly the products counted. The same id with the same counts returns
    the stored stocktake and changes nothing (``created`` False)."""
    resolved = resolve_counts(session, counts)
    wanted = dict(resolved)
    if reason is None:
        reason = _("Kiểm kê")
    existing = session.get(Stocktake, stocktake_id) if stocktake_id else None
    if existing is not None and existing.booth_id == booth.id and existing.status != "open":
        stored = {line.product_id: line.counted for line in existing.lines
                  if line.counted is not None}
        if stored != wanted:
            raise Conflict(_("Mã phiếu kiểm kê %(id)s đã được dùng cho số đếm khác.",
                             id=stocktake_id), field="id", code="id_reused")
        return existing, count_moves(session, booth=booth, stocktake=existing), False
    stocktake, _created = start_stocktake(session, booth=booth, by=by,
                                          product_ids=None if existing else list(wanted),
                                          stocktake_id=stocktake_id)
    record_counts(session, booth=booth, stocktake=stocktake,
                  counts=[{"product_id": pid, "counted": n} for pid, n in resolved], by=by)
    moves = commit_stocktake(session, booth=booth, stocktake=stocktake, reason=reason, by=by)
    return stocktake, moves, True


def stocktake_to_json(stocktake: Stocktake) -> dict:
    """The stocktake as counters see it: the counts, never the books while it is open."""
    committed = stocktake.status == "committed"
    return {
        "id": stocktake.id, "number": stocktake.number, "status": stocktake.status,
        "scope": stocktake.scope, "started_at": stocktake.started_at.isoformat(),
        "started_by": stocktake.started_by,
        "committed_at": stocktake.committed_at.isoformat() if stocktake.committed_at else None,
        "committed_by": stocktake.committed_by, "reason": stocktake.reason,
        "lines": [{"product_id": line.product_id, "code": line.product.code,
                   "name": line.product.name, "unit": line.product.unit,
                   "barcodes": [b.code for b in line.product.barcodes],
                   "counted": line.counted}
                  | ({"expected": line.expected} if committed else {})
                  for line in stocktake.lines],
    }


def scope_label(session: Session, stocktake: Stocktake) -> str:
    """The scope in words, for the sheet and the pages."""
    if stocktake.scope.startswith("producer:"):
        producer = session.get(Producer, int(stocktake.scope.split(":", 1)[1]))
        name = producer.name if producer is not None else ""
        district = producer.district if producer is not None else ""
        return _("Chủ thể: %(name)s", name=" – ".join(p for p in (name, district) if p))
    if stocktake.scope == "products":
        return _("Danh sách %(n)d sản phẩm", n=len(stocktake.lines))
    return _("Cả quầy")


def count_sheet_pdf(session: Session, *, booth: Booth, stocktake: Stocktake) -> bytes:
    """The printable blind count sheet (A4): product, code, barcode, unit and an empty box
    per line; never what the books say, so the count is not steered by it."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from receipts.document import format_local
    from receipts.fonts import register_pdf_fonts
    from receipts.pdf import RunText, draw_runs, font_name

    register_pdf_fonts()
    buffer = io.BytesIO()
    margin = 12 * mm
    title = f"Phiếu kiểm kê {stocktake.number}"
    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin,
                                 topMargin=margin, bottomMargin=margin + 4 * mm, title=title,
                                 author=booth.name, creator="OCOP POS Thanh Hóa", invariant=1)
    width = A4[0] - 2 * margin
    story = [
        RunText("PHIẾU KIỂM KÊ – ĐẾM HÀNG TRÊN QUẦY", size=14, bold=True, align="center"),
        Spacer(1, 2 * mm),
        RunText(f"Số phiếu: {stocktake.number}    Quầy: {booth.code} – {booth.name}", size=9),
        RunText(f"Phạm vi: {scope_label(session, stocktake)}    "
                f"Bắt đầu: {format_local(stocktake.started_at)}", size=9),
        RunText("Đếm thực tế từng sản phẩm và ghi số vào ô “Số đếm”. Ghi 0 nếu không còn "
                "hàng; sản phẩm có trên quầy mà không có trong phiếu thì ghi vào cuối phiếu.",
                size=8),
        Spacer(1, 3 * mm),
    ]
    heads = ["STT", "Mã", "Tên sản phẩm", "Mã vạch", "ĐVT", "Số đếm"]
    aligns = ["center", "left", "left", "left", "left", "center"]
    rows = [[RunText(h, size=8, bold=True, align=a) for h, a in zip(heads, aligns, strict=True)]]
    for i, line in enumerate(stocktake.lines, start=1):
        product = line.product
        rows.append([RunText(str(i), size=8, align="center"), RunText(product.code, size=7.5),
                     RunText(product.name, size=8.5),
                     RunText(", ".join(b.code for b in product.barcodes), size=7.5),
                     RunText(product.unit, size=8), ""])
    for _blank in range(5):  # goods found on the shelf that the sheet does not list
        rows.append(["", "", "", "", "", ""])
    fractions = [0.06, 0.14, 0.40, 0.18, 0.08, 0.14]
    table = Table(rows, colWidths=[width * f for f in fractions], repeatRows=1,
                  rowHeights=[None] + [9 * mm] * (len(rows) - 1))
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BOX", (-1, 1), (-1, -1), 1.2, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    story += [table, Spacer(1, 8 * mm),
              RunText("Người đếm: ………………………………        Người kiểm tra: "
                      "………………………………        Ngày: ……/……/………", size=9)]

    def footer(canvas, doc) -> None:
        canvas.saveState()
        text = f"{stocktake.number} · Trang {doc.page}"
        draw_runs(canvas, margin, margin - 2 * mm, text, font_name(False), 7.5)
        canvas.restoreState()

    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
