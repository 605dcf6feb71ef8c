"""The Thanh Hóa demo: the three venues and 33 booths of the provincial programme, the
catalogue of real certified OCOP products (facts from public sources, shipped in
``inventory/data``), with invented prices, barcodes, stock and staff.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from core.enums import StockMoveKind
from core.models import Booth, User, Venue
from core.textfold import fold
from inventory.barcodes import ean13_with_check, make_instore_code
from inventory.models import Barcode, Producer, Product
from inventory.services import post_move

DEMO_PASSWORD = "ocop-demo-2026"
OFFICE_USERNAME = "vanphong"
PRODUCTS_CSV = "ocop-thanh-hoa-products.csv"

VENUES = (
    # code, name, kind, address, district, booth-code prefix, booths
    ("COOP", "Siêu thị Co.opmart Thanh Hóa", "supermarket", "Đại lộ Lê Lợi, TP Thanh Hóa",
     "TP Thanh Hóa", "COOP", 12),
    ("SAOMAI", "Khách sạn Sao Mai", "hotel", "TP Thanh Hóa", "TP Thanh Hóa", "SAOMAI", 9),
    ("SAMSON-A", "Bãi tắm A Sầm Sơn", "beach", "Bãi tắm A, TP Sầm Sơn", "TP Sầm Sơn",
     "SAMSON-A", 12),
)
SHOWROOM_TAX_CODE = "2801234567"  # invented: the operator of the showrooms

CATEGORY = {"food": "food", "drink": "drink", "herbs/medicinal": "herbs",
            "handicraft": "handicraft", "other": "other"}


@dataclass(frozen=True)
class Pricing:
    unit: str
    low: int
    high: int
    vat_rate: int


# The first whole-word keyword of the product's own category decides unit, price band and
# VAT rate (so "Giỏ" (a basket) is not priced as "giò" (pork roll)).
PRICING = {
    "food": (
        ("mien", Pricing("gói 500 g", 35_000, 60_000, 8)),
        ("yen chung", Pricing("hộp 6 lọ", 250_000, 450_000, 8)),
        ("trung", Pricing("hộp 10 quả", 35_000, 55_000, 5)),
        ("nam", Pricing("gói 200 g", 45_000, 120_000, 5)),
        ("tuong", Pricing("chai 500 ml", 30_000, 55_000, 8)),
        ("dau sachi", Pricing("chai 250 ml", 150_000, 260_000, 8)),
        ("nuoc mam", Pricing("chai 500 ml", 85_000, 185_000, 8)),
        ("mam", Pricing("hũ 500 g", 55_000, 95_000, 8)),
        ("nem chua", Pricing("chục", 35_000, 50_000, 8)),
        ("banh gai", Pricing("hộp 10 chiếc", 45_000, 70_000, 8)),
        ("che lam", Pricing("hộp", 35_000, 55_000, 8)),
        ("keo", Pricing("hộp", 35_000, 65_000, 8)),
        ("mat ong", Pricing("chai 500 ml", 160_000, 260_000, 5)),
        ("gao", Pricing("túi 5 kg", 110_000, 175_000, 5)),
        ("to yen", Pricing("hộp 100 g", 650_000, 1_800_000, 8)),
        ("yen sao", Pricing("hộp 100 g", 650_000, 1_800_000, 8)),
        ("dau lac", Pricing("chai 1 lít", 95_000, 130_000, 5)),
        ("cha", Pricing("kg", 220_000, 320_000, 8)),
        ("gio", Pricing("kg", 220_000, 300_000, 8)),
        ("lap suon", Pricing("kg", 280_000, 380_000, 8)),
        ("thit", Pricing("kg", 350_000, 650_000, 8)),
        ("ca", Pricing("kg", 180_000, 350_000, 8)),
        ("dua", Pricing("kg", 40_000, 90_000, 5)),
        ("buoi", Pricing("kg", 45_000, 80_000, 5)),
        ("cam", Pricing("kg", 35_000, 70_000, 5)),
    ),
    "drink": (
        ("ruou", Pricing("chai 500 ml", 140_000, 380_000, 10)),
        ("tra", Pricing("hộp 200 g", 80_000, 160_000, 8)),
        ("che", Pricing("gói 200 g", 70_000, 150_000, 8)),
    ),
    "herbs": (
        ("dong trung", Pricing("hộp", 450_000, 950_000, 8)),
        ("tinh dau", Pricing("lọ 50 ml", 85_000, 160_000, 8)),
        ("dau goi", Pricing("chai 300 ml", 75_000, 120_000, 10)),
        ("tra", Pricing("hộp 200 g", 80_000, 160_000, 8)),
        ("che", Pricing("gói 200 g", 70_000, 150_000, 8)),
    ),
    "handicraft": (
        ("chieu", Pricing("chiếc", 250_000, 650_000, 8)),
        ("tham", Pricing("chiếc", 350_000, 850_000, 8)),
    ),
    "other": (("huong", Pricing("hộp", 60_000, 180_000, 10)),),
}
DEFAULTS = {
    "food": Pricing("gói", 45_000, 150_000, 8),
    "drink": Pricing("chai", 60_000, 200_000, 10),
    "herbs": Pricing("hộp", 90_000, 280_000, 8),
    "handicraft": Pricing("chiếc", 90_000, 450_000, 8),
    "other": Pricing("chai", 45_000, 120_000, 10),
}


def _rng(*parts: object) -> random.Random:
    """Deterministic randomness: the same demo every time, on every machine."""
    return random.Random(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest())


def _pricing(name: str, category: str) -> Pricing:
    folded = f" {fold(name)} "
    for keyword, pricing in PRICING[category]:
        if f" {keyword} " in folded:
            return pricing
    return DEFAULTS[category]


def load_catalogue_rows() -> list[dict]:
    """The shipped, sourced product list (UTF-8 CSV)."""
    text = resources.files("inventory").joinpath("data", PRODUCTS_CSV).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def booth_codes() -> list[str]:
    return [f"{prefix}-{n:02d}" for _, _, _, _, _, prefix, count in VENUES
            for n in range(1, count + 1)]


def cashier_username(booth_code: str) -> str:
    return f"thungan.{booth_code.lower()}"


def manager_username(booth_code: str) -> str:
    return f"quanly.{booth_code.lower()}"


def is_seeded(session: Session) -> bool:
    return session.scalar(select(Venue.id).where(Venue.code == VENUES[0][0])) is not None


def seed_demo(session: Session, *, booth_code: str | None = None,
              hash_method: str = "scrypt") -> dict[str, int]:
    """Load the demo into an empty database; a second run changes nothing.

    A booth instance (``booth_code``) gets the registry and catalogue plus its own
    stock and staff; central gets every booth's.
    """
    if is_seeded(session):
        return {}
    booths = _seed_booths(session)
    products = _seed_catalogue(session)
    if booth_code is None:  # central keeps the warehouse that ships to the booths
        from inventory.warehouse import central_warehouse

        central_warehouse(session)
    targets = [b for b in booths if booth_code in (None, b.code)]
    users = 0
    for booth in targets:
        for username, role, title in ((cashier_username(booth.code), "cashier", "Thu ngân"),
                                      (manager_username(booth.code), "manager", "Quản lý")):
            # One hash per user: salts must differ even when demo passwords do not.
            password_hash = generate_password_hash(DEMO_PASSWORD, method=hash_method)
            session.add(User(username=username, role=role, booth=booth,
                             full_name=f"{title} {booth.code}", password_hash=password_hash))
            users += 1
    session.add(User(username=OFFICE_USERNAME, role="office", full_name="Văn phòng điều phối OCOP",
                     password_hash=generate_password_hash(DEMO_PASSWORD, method=hash_method)))
    users += 1
    session.flush()
    moves = 0
    for booth in targets:
        rng = _rng("stock", booth.code)
        for product in rng.sample(products, k=min(len(products), rng.randint(45, 70))):
            post_move(session, booth=booth, product=product, qty=rng.randint(4, 40),
                      kind=StockMoveKind.RECEIVE, reference="Tồn đầu kỳ (dữ liệu mẫu)")
            moves += 1
    return {"venues": len(VENUES), "booths": len(booths), "products": len(products),
            "users": users, "stock_moves": moves}


def _seed_booths(session: Session) -> list[Booth]:
    booths = []
    for code, name, kind, address, district, prefix, count in VENUES:
        venue = Venue(code=code, name=name, kind=kind, address=address, district=district)
        session.add(venue)
        for n in range(1, count + 1):
            booth = Booth(code=f"{prefix}-{n:02d}", name=f"Gian hàng OCOP số {n}", venue=venue,
                          tax_code=SHOWROOM_TAX_CODE)
            session.add(booth)
            booths.append(booth)
    session.flush()
    return booths


def _producer_for(session: Session, row: dict, cache: dict[tuple[str, str], Producer]
                  ) -> Producer:
    # The sources do not name some producers: their name stays empty (receipts, labels and
    # search show the district alone), never an invented or placeholder name.
    name = row["producer"].strip()
    district = row["district"].strip()
    if (name, district) not in cache:
        producer = Producer(name=name, name_folded=fold(name),
                            kind=row["producer_kind"] or "other",
                            commune=row["commune"].strip() if row["producer"] else "",
                            district=district)
        session.add(producer)
        cache[name, district] = producer
    return cache[name, district]


def _seed_catalogue(session: Session) -> list[Product]:
    producers: dict[tuple[str, str], Producer] = {}
    company_prefixes: dict[tuple[str, str], str] = {}
    products = []
    for number, row in enumerate(load_catalogue_rows(), start=1):
        producer = _producer_for(session, row, producers)
        category = CATEGORY[row["category"]]
        pricing = _pricing(row["name"], category)
        rng = _rng("price", row["name"])
        price = rng.randrange(pricing.low, pricing.high + 1, 5_000) // 5_000 * 5_000
        product = Product(
            code=f"OCOP-TH-{number:04d}", name=row["name"].strip(),
            name_folded=fold(row["name"]), producer=producer, category=category,
            unit=pricing.unit, stars=int(row["stars"]) if row["stars"] else None,
            certified_year=int(row["year"]) if row["year"] else None,
            price=max(price, pricing.low), vat_rate=pricing.vat_rate,
            origin_url=(row.get("sources") or "").split(" ")[0],
        )
        session.add(product)
        if producer.kind in ("company", "cooperative"):
            # Registered firms carry GS1 Vietnam (893) codes; the company prefixes are
            # invented for the demo.
            prefix = company_prefixes.setdefault(
                (producer.name, producer.district), f"893{6000 + len(company_prefixes):04d}")
            item = sum(1 for p in products if p.producer is producer)
            code, kind = ean13_with_check(f"{prefix}{item:05d}"), "ean13"
        else:
            code, kind = make_instore_code(number), "instore"
        product.barcodes.append(Barcode(code=code, kind=kind))
        products.append(product)
    session.flush()
    return products
