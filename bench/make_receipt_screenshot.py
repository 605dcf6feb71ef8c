"""Draw ``docs/receipt-demo.png``: one demo sale at booth COOP-01, as the 80 mm printer
prints it in raster mode. ``python bench/make_receipt_screenshot.py [OUT.png]``

The products, prices, producers and booth come from the demo data (seeded into a
throw-away SQLite file), so the picture matches what ``ocop demo`` shows.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth, User  # noqa: E402
from core.money import format_vnd  # noqa: E402
from inventory.models import Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from receipts.document import (  # noqa: E402
    ReceiptDocument,
    ReceiptLine,
    ReceiptPayment,
    vat_by_rate_from_lines,
)
from receipts.raster import render_png  # noqa: E402

BOOTH = "COOP-01"
# (demo product name, quantity, line discount in đồng)
BASKET = [
    ("Nước mắm Lê Gia - Cốt đặc biệt 40N", 2, 0),
    ("Chè lam Phủ Quảng", 3, 10_000),
    ("Bánh gai Lâm Thắm", 2, 0),
    ("Đôn cói Việt Trang", 1, 0),
]
ISSUED_AT = datetime(2026, 7, 18, 9, 42, tzinfo=UTC)  # 16:42 in Thanh Hóa


def demo_receipt(session) -> ReceiptDocument:
    """A paid-in-cash sale of ``BASKET`` at ``BOOTH``, built from the seeded rows."""
    booth = session.scalar(select(Booth).where(Booth.code == BOOTH))
    cashier = session.scalar(select(User).where(User.booth_id == booth.id,
                                                User.role == "cashier"))
    lines = []
    for name, qty, discount in BASKET:
        product = session.scalar(select(Product).where(Product.name == name))
        if product is None:
            raise SystemExit(f"Không có sản phẩm mẫu “{name}” trong dữ liệu demo.")
        lines.append(ReceiptLine(
            name=product.name, qty=qty, unit_price=product.price,
            amount=qty * product.price - discount, discount=discount,
            vat_rate=product.vat_rate, producer=product.producer.name,
            commune=product.producer.commune, district=product.producer.district,
            stars=product.stars or 0))
    total = sum(line.amount for line in lines)
    tendered = -(-total // 100_000) * 100_000  # the customer hands over whole 100.000s
    if tendered == total:
        tendered += 100_000
    number = f"{BOOTH}-000128"
    return ReceiptDocument(
        kind="sale", shop_name="Gian hàng OCOP Thanh Hóa", booth_code=booth.code,
        booth_name=booth.name, venue_name=booth.venue.name, address=booth.venue.address,
        tax_code=booth.tax_code, number=number, issued_at=ISSUED_AT,
        cashier=cashier.full_name or cashier.username, lines=lines, total=total,
        vat_by_rate=vat_by_rate_from_lines(lines),
        payments=[ReceiptPayment(method="cash", amount=total, tendered=tendered)],
        change=tendered - total, qr_payload=number)


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ocop-receipt-demo-") as folder:
        app = create_app(Config(OCOP_INSTANCE=folder, OCOP_ROLE="booth", OCOP_BOOTH=BOOTH,
                                DATABASE_URL=f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
                                SECRET_KEY="receipt-demo"))
        with app.app_context():
            db.create_all()
            seed_demo(db.session, booth_code=BOOTH, hash_method="pbkdf2:sha256:1000")
            doc = demo_receipt(db.session)
            db.session.remove()
            db.engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_png(doc, paper_mm=80))
    print(f"Đã vẽ hóa đơn {doc.number} ({len(doc.lines)} dòng, tổng {format_vnd(doc.total)}) "
          f"vào {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "receipt-demo.png")
