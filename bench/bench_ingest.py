"""How fast central ingests a booth's events on PostgreSQL, next to its floor.

Usage: ``OCOP_TEST_POSTGRES_URL=postgresql://USER@HOST/DB python bench/bench_ingest.py
[--batches 10] [--batch-size 500]``. Makes a throw-away database, seeds the demo, then
pushes batches of ``sale_completed`` events (3 lines, cash) for one booth through
``sync.ingest.ingest_batch`` — each batch in its own transaction, as ``POST
/api/sync/v1/events`` runs it — and also through the HTTP view (the Flask test client:
JSON parsing and validation included). The floor, in the same run and database: a plain
psycopg ``executemany`` of the same rows (events, sales, lines, payments, stock moves)
into the same tables, one transaction per batch. Prints events per second and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth  # noqa: E402
from inventory.models import Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from sync.credentials import register_booth  # noqa: E402
from sync.ingest import PushIn, ingest_batch  # noqa: E402
from sync.outbox import canonical_hash  # noqa: E402
from tests.postgres import temporary_database  # noqa: E402


def event(seq: int, type_: str, payload: dict) -> dict:
    return {"id": str(uuid.uuid4()), "seq": seq, "type": type_,
            "occurred_at": datetime.now(UTC).isoformat(), "hash": canonical_hash(payload),
            "payload": payload}


def sale_payload(booth: str, shift_id: str, seq: int, products: list[Product]) -> dict:
    lines = [{"product_id": p.id, "name": p.name, "qty": 1 + i % 2, "unit_price": p.price,
              "catalog_price": p.price, "discount": 0, "amount": (1 + i % 2) * p.price,
              "vat_rate": p.vat_rate, "barcode": None} for i, p in enumerate(products)]
    total = sum(line["amount"] for line in lines)
    return {"id": str(uuid.uuid4()), "number": f"{booth}-{seq:06d}", "seq": seq,
            "booth": booth, "shift_id": shift_id, "cashier": f"thungan.{booth.lower()}",
            "created_at": datetime.now(UTC).isoformat(), "status": "completed",
            "kind": "sale", "refund_of": None, "total": total, "discount_total": 0,
            "change": 0, "approved_by": None, "reason": "", "lines": lines,
            "payments": [{"method": "cash", "amount": total, "tendered": total,
                          "reference": ""}], "void": None}


def batches(booth: str, products: list[Product], count: int, size: int):
    """A shift, then ``count`` batches of ``size`` sales, each a list of events."""
    shift_id = str(uuid.uuid4())
    opened = {"id": shift_id, "booth": booth, "cashier": f"thungan.{booth.lower()}",
              "status": "open", "opened_at": datetime.now(UTC).isoformat(),
              "closed_at": None, "business_day": date.today().isoformat(),
              "opening_float": 500_000, "counted_cash": None, "expected_cash": None,
              "difference": None, "note": ""}
    seq, sale_seq = 1, 0
    first = [event(1, "shift_opened", opened)]
    out = [first]
    seq = 2
    for _ in range(count):
        batch = []
        for _ in range(size):
            sale_seq += 1
            chosen = [products[(sale_seq * 7 + k * 13) % len(products)] for k in range(3)]
            batch.append(event(seq, "sale_completed",
                               sale_payload(booth, shift_id, sale_seq, chosen)))
            seq += 1
        out.append(batch)
    return out


def floor_rows(events: list[dict], booth_id: int, cashier_id: int, shift_id: str):
    """The rows ingest writes for these events, with fresh ids: what executemany inserts."""
    now = datetime.now(UTC)
    ev, sales, lines, pays, moves = [], [], [], [], []
    for e in events:
        p = e["payload"]
        sale_id = str(uuid.uuid4())
        ev.append((str(uuid.uuid4()), booth_id, "floor", e["seq"], e["type"], e["hash"], now,
                   now, psycopg.types.json.Jsonb(p), "applied", ""))
        sales.append((sale_id, booth_id, 10_000_000 + e["seq"], f"F-{sale_id}", shift_id,
                      cashier_id, now, "completed", "sale", p["total"], 0, 0, "", "",
                      e["hash"]))
        for i, line in enumerate(p["lines"]):
            lines.append((sale_id, i, line["product_id"], "", line["name"], line["qty"],
                          line["unit_price"], line["catalog_price"], 0, line["amount"],
                          line["vat_rate"]))
            moves.append((str(uuid.uuid4()), booth_id, line["product_id"], -line["qty"],
                          "sale", p["number"], "", cashier_id, now))
        pays.append((sale_id, 0, "cash", p["total"], p["total"], ""))
    return ev, sales, lines, pays, moves


FLOOR_SQL = (
    "INSERT INTO ingested_event (id, booth_id, epoch, seq, type, hash, occurred_at, "
    "received_at, payload, status, problem) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
    "INSERT INTO sale (id, booth_id, seq, number, shift_id, cashier_id, created_at, status, "
    "kind, total, discount_total, change, reason, void_reason, request_hash) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
    "INSERT INTO sale_line (sale_id, position, product_id, barcode, name, qty, unit_price, "
    "catalog_price, discount, amount, vat_rate) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
    "INSERT INTO payment (sale_id, position, method, amount, tendered, reference) "
    "VALUES (%s,%s,%s,%s,%s,%s)",
    "INSERT INTO stock_move (id, booth_id, product_id, qty, kind, reference, note, by_id, at) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    server = os.environ.get("OCOP_TEST_POSTGRES_URL")
    if not server:
        sys.exit("Set OCOP_TEST_POSTGRES_URL to a PostgreSQL server (a database is made and "
                 "dropped).")
    with tempfile.TemporaryDirectory() as tmp, temporary_database(server) as url:
        app = create_app(Config(OCOP_INSTANCE=tmp, OCOP_ROLE="central", DATABASE_URL=url,
                                SECRET_KEY="bench", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"))
        with app.app_context():
            db.create_all()
            seed_demo(db.session, hash_method="pbkdf2:sha256:1000")
            db.session.commit()
            products = list(db.session.scalars(select(Product).order_by(Product.id)))
            for p in products:
                db.session.expunge(p)
        results = {}
        for label, booth_code, via_http in (("service", "COOP-02", False),
                                            ("http", "COOP-03", True)):
            with app.app_context():
                booth = db.session.scalar(select(Booth).where(Booth.code == booth_code))
                token = register_booth(db.session, booth=booth)[1]
                db.session.commit()
            epoch = str(uuid.uuid4())
            per_batch = []
            client = app.test_client()
            for i, batch in enumerate(batches(booth_code, products, args.batches,
                                              args.batch_size)):
                body = {"epoch": epoch, "events": batch}
                start = time.perf_counter()
                if via_http:
                    response = client.post("/api/sync/v1/events", json=body,
                                           headers={"Authorization": f"Bearer {token}"})
                    assert response.status_code == 200, response.get_data(as_text=True)
                else:
                    with app.app_context():
                        booth = db.session.scalar(select(Booth).where(
                            Booth.code == booth_code))
                        answer = ingest_batch(db.session, booth=booth,
                                              body=PushIn.model_validate(body))
                        db.session.commit()
                        assert all(r["status"] == "applied" for r in answer["results"])
                elapsed = time.perf_counter() - start
                if i:  # the first batch is the shift alone
                    per_batch.append(elapsed)
            results[label] = statistics.median(per_batch)

        with app.app_context():
            booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-04"))
            cashier_id = db.session.scalar(db.text(
                "SELECT id FROM \"user\" WHERE username = 'thungan.coop-04'"))
        shift_id = str(uuid.uuid4())
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        floor = []
        with psycopg.connect(plain) as conn:
            conn.execute(
                "INSERT INTO shift (id, booth_id, cashier_id, status, opened_at, business_day,"
                " opening_float, note) VALUES (%s, %s, %s, 'open', now(), current_date, 0, '')",
                (shift_id, booth.id, cashier_id))
            conn.commit()
            for batch in batches("COOP-04", products, args.batches, args.batch_size)[1:]:
                rows = floor_rows(batch, booth.id, cashier_id, shift_id)
                start = time.perf_counter()
                with conn.cursor() as cur:
                    for sql, values in zip(FLOOR_SQL, rows, strict=True):
                        cur.executemany(sql, values)
                conn.commit()
                floor.append(time.perf_counter() - start)
        floor_s = statistics.median(floor)
        size = args.batch_size
        print(f"batches of {size} sale events (3 lines each), median of {args.batches}:")
        print(f"  floor: psycopg executemany of the same rows  {floor_s * 1000:8.1f} ms"
              f"  {size / floor_s:8.0f} events/s")
        for label, seconds in results.items():
            print(f"  ingest ({label:7})                          {seconds * 1000:8.1f} ms"
                  f"  {size / seconds:8.0f} events/s   ratio {floor_s / seconds:.2f}× of floor")


if __name__ == "__main__":
    main()
