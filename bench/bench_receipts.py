"""Time each receipt format for a 10-line sale: ``python bench/bench_receipts.py [RUNS]``.

A plain script rather than a test, so a slow booth PC can be measured on the spot.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receipts.document import (  # noqa: E402
    ReceiptDocument,
    ReceiptLine,
    ReceiptPayment,
    vat_by_rate_from_lines,
)
from receipts.escpos_out import escpos_bytes  # noqa: E402
from receipts.layout import render_text  # noqa: E402
from receipts.pdf import receipt_pdf_80mm, receipt_pdf_a5  # noqa: E402
from receipts.raster import render_png  # noqa: E402

PRODUCTS = [
    ("Nước mắm Ba Làng loại đặc biệt chai 500ml", 125_000, 8, "HTX Nước mắm Ba Làng", 4),
    ("Nem chua Thanh Hóa hộp 20 chiếc", 60_000, 8, "Cơ sở Hương Nam", 3),
    ("Chè lam Phủ Quảng", 45_000, 8, "Cơ sở Phủ Quảng", 3),
    ("Bánh gai Tứ Trụ hộp 10 chiếc", 70_000, 8, "HTX Tứ Trụ", 4),
    ("Mật ong Như Xuân 500ml", 180_000, 5, "HTX Ong mật Như Xuân", 3),
    ("Mắm tép Hà Trung", 55_000, 8, "Cơ sở Hà Trung", 3),
    ("Chè Bá Thước túi 200g", 90_000, 5, "HTX Chè Bá Thước", 4),
    ("Gạo nếp cái hoa vàng Thọ Xuân 2kg", 85_000, 5, "HTX Thọ Xuân", 3),
    ("Rượu nếp cẩm Ngọc Lặc", 150_000, 10, "Cơ sở Ngọc Lặc", 3),
    ("Quế Thường Xuân bó 500g", 120_000, 5, "HTX Quế Thường Xuân", 5),
]


def sample_receipt() -> ReceiptDocument:
    lines = [
        ReceiptLine(name=name, qty=index % 3 + 1, unit_price=price,
                    amount=(index % 3 + 1) * price, vat_rate=rate, producer=producer,
                    district="Thanh Hóa", stars=stars)
        for index, (name, price, rate, producer, stars) in enumerate(PRODUCTS)
    ]
    total = sum(line.amount for line in lines)
    tendered = (total // 500_000 + 1) * 500_000
    return ReceiptDocument(
        kind="sale", shop_name="Trung tâm OCOP Thanh Hóa", booth_code="TH01",
        booth_name="Gian hàng Sầm Sơn", venue_name="Quảng trường biển Sầm Sơn",
        address="Đường Hồ Xuân Hương, TP Sầm Sơn, Thanh Hóa", tax_code="2801234567",
        number="TH01-000123", issued_at=datetime.now(UTC), cashier="Nguyễn Thị Hằng",
        lines=lines, total=total, vat_by_rate=vat_by_rate_from_lines(lines),
        payments=[ReceiptPayment(method="cash", amount=total, tendered=tendered)],
        change=tendered - total, qr_payload="TH01-000123",
    )


def mean_ms(render: Callable[[], object], runs: int) -> float:
    render()  # warm caches (fonts, code tables) so the mean is the steady state
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.mean(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    doc = sample_receipt()
    formats: dict[str, Callable[[], object]] = {
        "text 48 cols": lambda: render_text(doc, 48),
        "escpos text (cp1258)": lambda: escpos_bytes(doc, mode="text"),
        "escpos raster 80 mm": lambda: escpos_bytes(doc, mode="raster"),
        "png preview 80 mm": lambda: render_png(doc, 80),
        "pdf 80 mm roll": lambda: receipt_pdf_80mm(doc),
        "pdf A5 invoice": lambda: receipt_pdf_a5(doc),
    }
    print(f"10-line receipt, mean of {runs} runs")
    for name, render in formats.items():
        print(f"  {name:<22} {mean_ms(render, runs):8.2f} ms")


if __name__ == "__main__":
    main()
