"""The catalogue at central: producers, products, barcodes and prices.

Every rule about a catalogue field lives here, so the office pages, the JSON API and the
file import refuse the same things with the same Vietnamese message. Services only flush;
the caller commits. Each change is stamped with the next catalogue version by
``sync.feeds`` (a ``before_flush`` hook), so booths pull it at their next sync.

Prices change only through ``change_price``: the product's price and its history
(``PriceChange``) move together. A change effective now applies at once; a future one
waits until ``apply_due_price_changes`` runs (at every catalogue feed read and from
``ocop prices apply``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.errors import Conflict, DomainError, NotFound
from core.models import User
from core.money import VAT_RATES
from core.textfold import fold
from core.types import utcnow
from inventory.barcodes import make_instore_code, parse_scan
from inventory.models import CATEGORIES, PRODUCER_KINDS, Barcode, PriceChange, Producer, Product

MAX_PRICE = 1_000_000_000  # a showroom sells nothing dearer than 1 tỷ đồng
MAX_LIST = 500
FIRST_YEAR = 2000
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no daylight saving
CODE_PREFIX = "OCOP-TH-"
DEFAULT_UNIT = "cái"

_CODE = re.compile(r"[A-Z0-9][A-Z0-9._/-]{0,29}")
_PHONE = re.compile(r"[0-9+() .-]{0,30}")
_URL = re.compile(r"https?://\S+")

PRODUCT_FIELDS = ("code", "name", "producer_id", "category", "unit", "stars",
                  "certified_year", "vat_rate", "active", "origin_url")
PRODUCER_FIELDS = ("name", "kind", "commune", "district", "phone")


def category_labels() -> dict[str, str]:
    return {"food": _("Thực phẩm"), "drink": _("Đồ uống"), "herbs": _("Thảo dược"),
            "handicraft": _("Thủ công mỹ nghệ"), "other": _("Khác")}


def kind_labels() -> dict[str, str]:
    return {"company": _("Doanh nghiệp"), "cooperative": _("Hợp tác xã"),
            "household": _("Hộ sản xuất"), "other": _("Khác")}


# Spellings a spreadsheet may use for a category or a producer kind (folded).
_CATEGORY_ALIASES = {"herbs/medicinal": "herbs", "thuc pham": "food", "do uong": "drink",
                     "thao duoc": "herbs", "duoc lieu": "herbs", "thu cong my nghe": "handicraft",
                     "thu cong": "handicraft", "khac": "other"}
_KIND_ALIASES = {"doanh nghiep": "company", "cong ty": "company", "hop tac xa": "cooperative",
                 "htx": "cooperative", "ho san xuat": "household", "ho gia dinh": "household",
                 "ho kinh doanh": "household", "co so san xuat": "household", "khac": "other"}
_TRUE = {"1", "true", "yes", "co", "x", "dang ban"}
_FALSE = {"0", "false", "no", "khong", "ngung ban", ""}


class FieldError(DomainError):
    """One field's value breaks a catalogue rule (422, naming the field)."""

    code = "invalid"


# --- field rules ---------------------------------------------------------------------------


def clean_text(value: object, *, field: str, label: str, max_len: int,
               required: bool = False) -> str:
    """Trimmed, NFC, single-spaced text; refuses control characters and over-long text."""
    if value is None:
        value = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise FieldError(_("%(label)s phải là chữ.", label=label), field=field)
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise FieldError(_("%(label)s chứa ký tự điều khiển.", label=label), field=field)
    if required and not text:
        raise FieldError(_("Thiếu %(label)s.", label=label.lower()), field=field)
    if len(text) > max_len:
        raise FieldError(_("%(label)s dài quá %(n)d ký tự.", label=label, n=max_len),
                         field=field)
    return text


def _whole(value: object, *, field: str, message: str) -> int | None:
    """An integer from JSON, a form or a spreadsheet cell; ``None`` when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldError(message, field=field)
    if isinstance(value, float):
        if not value.is_integer():
            raise FieldError(message, field=field)
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", text):
        raise FieldError(message, field=field)
    return int(text)


def clean_code(value: object, *, field: str = "code") -> str:
    code = clean_text(value, field=field, label=_("Mã sản phẩm"), max_len=30,
                      required=True).upper()
    if not _CODE.fullmatch(code):
        raise FieldError(_("Mã sản phẩm chỉ gồm chữ không dấu, số và . _ / - (tối đa 30 "
                           "ký tự): %(c)s", c=code), field=field)
    return code


def clean_stars(value: object, *, field: str = "stars") -> int | None:
    message = _("Hạng sao phải là 3, 4 hoặc 5 (để trống nếu nguồn chưa công bố hạng): "
                "%(v)s", v=value)
    stars = _whole(value, field=field, message=message)
    if stars is not None and stars not in (3, 4, 5):
        raise FieldError(message, field=field)
    return stars


def clean_year(value: object, *, field: str = "certified_year") -> int | None:
    last = utcnow().year + 1
    message = _("Năm công nhận phải từ %(a)d đến %(b)d (hoặc để trống): %(v)s",
                a=FIRST_YEAR, b=last, v=value)
    year = _whole(value, field=field, message=message)
    if year is not None and not FIRST_YEAR <= year <= last:
        raise FieldError(message, field=field)
    return year


def clean_vat(value: object, *, field: str = "vat_rate") -> int:
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    message = _("Thuế suất GTGT phải là 0, 5, 8 hoặc 10 (%%): %(v)s", v=value)
    rate = _whole(value, field=field, message=message)
    if rate is None:
        raise FieldError(_("Thiếu thuế suất GTGT (0, 5, 8 hoặc 10)."), field=field)
    if rate not in VAT_RATES:
        raise FieldError(message, field=field)
    return rate


def clean_price(value: object, *, field: str = "price", allow_zero: bool = False) -> int:
    """Whole đồng; a spreadsheet may write ``125.000``, ``125,000`` or ``125.000 ₫``."""
    if isinstance(value, str):
        text = value.strip()
        for suffix in ("₫", "VND", "vnd", "đ", "Đ"):
            text = text.removesuffix(suffix).strip()
        if re.fullmatch(r"[0-9]{1,3}([.,  ][0-9]{3})+", text):
            text = re.sub(r"[.,  ]", "", text)
        value = text
    message = _("Giá phải là số đồng nguyên dương, tối đa %(m)s: %(v)s",
                m=f"{MAX_PRICE:,}".replace(",", "."), v=value)
    price = _whole(value, field=field, message=message)
    if price is None:
        raise FieldError(_("Thiếu giá bán."), field=field)
    if price < 0 or price > MAX_PRICE or (price == 0 and not allow_zero):
        raise FieldError(message, field=field)
    return price


def clean_bool(value: object, *, field: str = "active") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    folded = fold(str(value)) if isinstance(value, str) else None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise FieldError(_("Trạng thái bán phải là 1 (đang bán) hoặc 0 (ngừng bán): %(v)s",
                       v=value), field=field)


def clean_category(value: object, *, field: str = "category") -> str:
    text = fold(clean_text(value, field=field, label=_("Nhóm hàng"), max_len=40,
                           required=True))
    folded_labels = {fold(label): key for key, label in category_labels().items()}
    category = text if text in CATEGORIES else (_CATEGORY_ALIASES.get(text)
                                               or folded_labels.get(text))
    if category is None:
        raise FieldError(_("Nhóm hàng không hợp lệ: %(v)s (dùng food, drink, herbs, "
                           "handicraft hoặc other)", v=value), field=field)
    return category


def clean_kind(value: object, *, field: str = "kind") -> str:
    text = fold(clean_text(value, field=field, label=_("Loại chủ thể"), max_len=40))
    if not text:
        return "other"
    folded_labels = {fold(label): key for key, label in kind_labels().items()}
    kind = text if text in PRODUCER_KINDS else (_KIND_ALIASES.get(text)
                                               or folded_labels.get(text))
    if kind is None:
        raise FieldError(_("Loại chủ thể không hợp lệ: %(v)s (dùng company, cooperative, "
                           "household hoặc other)", v=value), field=field)
    return kind


def clean_url(value: object, *, field: str = "origin_url") -> str:
    url = clean_text(value, field=field, label=_("Nguồn"), max_len=300)
    if url and not _URL.fullmatch(url):
        raise FieldError(_("Nguồn phải là một địa chỉ http(s)://: %(v)s", v=url), field=field)
    return url


def clean_phone(value: object, *, field: str = "phone") -> str:
    phone = clean_text(value, field=field, label=_("Số điện thoại"), max_len=30)
    if phone and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 8):
        raise FieldError(_("Số điện thoại không hợp lệ: %(v)s", v=phone), field=field)
    return phone


def clean_producer_fields(data: dict) -> dict:
    """The producer fields present in ``data``, cleaned. An empty name is allowed: the
    sources do not name every producer, and a placeholder would land on receipts."""
    rules = {
        "name": lambda v: clean_text(v, field="name", label=_("Tên chủ thể"), max_len=200),
        "kind": clean_kind,
        "commune": lambda v: clean_text(v, field="commune", label=_("Xã/phường"),
                                        max_len=100),
        "district": lambda v: clean_text(v, field="district", label=_("Huyện/thị xã"),
                                         max_len=100),
        "phone": clean_phone,
    }
    return {key: rules[key](data[key]) for key in PRODUCER_FIELDS if key in data}


def clean_product_fields(session: Session, data: dict) -> dict:
    """The product fields present in ``data``, cleaned (price is not one of them: it
    changes through ``change_price`` only)."""
    rules = {
        "code": clean_code,
        "name": lambda v: clean_text(v, field="name", label=_("Tên sản phẩm"), max_len=200,
                                     required=True),
        "producer_id": lambda v: _producer_id(session, v),
        "category": clean_category,
        "unit": lambda v: clean_text(v, field="unit", label=_("Đơn vị tính"), max_len=30,
                                     required=True),
        "stars": clean_stars,
        "certified_year": clean_year,
        "vat_rate": clean_vat,
        "active": clean_bool,
        "origin_url": clean_url,
    }
    return {key: rules[key](data[key]) for key in PRODUCT_FIELDS if key in data}


def _producer_id(session: Session, value: object) -> int:
    producer_id = _whole(value, field="producer_id", message=_("Chủ thể không hợp lệ."))
    if producer_id is None:
        raise FieldError(_("Chọn chủ thể của sản phẩm."), field="producer_id")
    return get_producer(session, producer_id).id


# --- look-ups -------------------------------------------------------------------------------


def get_producer(session: Session, producer_id: int) -> Producer:
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound(_("Không có chủ thể mã số %(id)s.", id=producer_id), field="producer_id",
                       code="unknown_producer")
    return producer


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("Không có sản phẩm mã số %(id)s.", id=product_id), field="product_id",
                       code="unknown_product")
    return product


def _product_filter(query, q: str, active: bool | None):
    if active is not None:
        query = query.where(Product.active.is_(active))
    words = fold(q).split()
    if not words:
        return query
    exact = or_(Product.code == q.strip().upper(),
                Product.id.in_(select(Barcode.product_id).where(Barcode.code == q.strip())))
    matches = [or_(Product.name_folded.contains(w, autoescape=True),
                   Producer.name_folded.contains(w, autoescape=True)) for w in words]
    return query.join(Producer).where(or_(exact, and_(*matches)))


def list_products(session: Session, *, after_id: int = 0, limit: int = 100, q: str = "",
                  active: bool | None = None) -> tuple[list[Product], int | None]:
    """A page of the whole catalogue in id order after ``after_id`` (keyset: stable while
    products are added), optionally filtered by an accent-insensitive search. Returns the
    page and the ``after_id`` of the next one (``None`` at the end)."""
    limit = max(1, min(limit, MAX_LIST))
    query = _product_filter(select(Product).where(Product.id > after_id), q, active)
    rows = session.scalars(query.order_by(Product.id).limit(limit + 1).options(
        selectinload(Product.producer), selectinload(Product.barcodes))).all()
    return list(rows[:limit]), rows[limit - 1].id if len(rows) > limit else None


def search_products(session: Session, *, q: str = "", active: bool | None = None,
                    page: int = 1, per_page: int = 50) -> tuple[list[Product], int]:
    """One page (by name) of the office's product list, and how many match in all."""
    query = _product_filter(select(Product), q, active)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Product.name, Product.id)
                           .offset((max(page, 1) - 1) * per_page).limit(per_page)
                           .options(selectinload(Product.producer),
                                    selectinload(Product.barcodes))).all()
    return list(rows), total


def search_producers(session: Session, *, q: str = "", page: int = 1, per_page: int = 50,
                     after_id: int | None = None) -> tuple[list[Producer], int]:
    """Producers whose name, commune or district holds every folded word of ``q``, with
    how many match. Districts have no folded column, so the match runs here: a province
    has hundreds of producers, not millions."""
    words = fold(q).split()
    query = select(Producer).order_by(Producer.id if after_id is not None else Producer.name,
                                      Producer.district, Producer.id)
    if after_id is not None:
        query = query.where(Producer.id > after_id)
    rows = [p for p in session.scalars(query)
            if all(w in f"{p.name_folded} {fold(p.commune)} {fold(p.district)}" for w in words)]
    if after_id is not None:
        return rows[:per_page], len(rows)
    start = (max(page, 1) - 1) * per_page
    return rows[start:start + per_page], len(rows)


def product_counts(session: Session, producer_ids: list[int]) -> dict[int, int]:
    if not producer_ids:
        return {}
    return dict(session.execute(select(Product.producer_id, func.count(Product.id))
                                .where(Product.producer_id.in_(producer_ids))
                                .group_by(Product.producer_id)).all())


# --- producers ------------------------------------------------------------------------------


def _check_producer_unique(session: Session, name: str, district: str,
                           producer_id: int | None) -> None:
    other = session.scalar(select(Producer).where(Producer.name == name,
                                                  Producer.district == district))
    if other is not None and other.id != producer_id:
        who = name or _("(chủ thể chưa công bố tên)")
        raise Conflict(_("Đã có chủ thể %(n)s ở %(d)s (mã số %(id)d).", n=who,
                         d=district or _("nơi chưa rõ"), id=other.id), field="name",
                       code="duplicate_producer")


def create_producer(session: Session, *, data: dict) -> Producer:
    """A new producer; one per (name, district), the nameless one included."""
    fields = {"name": "", "kind": "other", "commune": "", "district": "", "phone": ""} | \
        clean_producer_fields(data)
    _check_producer_unique(session, fields["name"], fields["district"], None)
    producer = Producer(**fields, name_folded=fold(fields["name"]))
    session.add(producer)
    session.flush()
    return producer


def update_producer(session: Session, *, producer: Producer, data: dict) -> Producer:
    """Change the given fields; the folded name follows the name."""
    fields = clean_producer_fields(data)
    name = fields.get("name", producer.name)
    district = fields.get("district", producer.district)
    _check_producer_unique(session, name, district, producer.id)
    for key, value in fields.items():
        if getattr(producer, key) != value:
            setattr(producer, key, value)
    if producer.name_folded != fold(producer.name):
        producer.name_folded = fold(producer.name)
    session.flush()
    return producer


# --- products -------------------------------------------------------------------------------


def _check_code_unique(session: Session, code: str, product_id: int | None) -> None:
    other = session.scalar(select(Product).where(Product.code == code))
    if other is not None and other.id != product_id:
        raise Conflict(_("Mã sản phẩm %(c)s đã dùng cho “%(n)s”.", c=code, n=other.name),
                       field="code", code="duplicate_code")


def next_product_code(session: Session, taken: set[str] = frozenset()) -> str:
    """The next free ``OCOP-TH-NNNN`` code."""
    codes = session.scalars(select(Product.code).where(Product.code.like(f"{CODE_PREFIX}%")))
    numbers = [int(c[len(CODE_PREFIX):]) for c in [*codes, *taken]
               if c.startswith(CODE_PREFIX) and c[len(CODE_PREFIX):].isdigit()]
    return f"{CODE_PREFIX}{max(numbers, default=0) + 1:04d}"


def _refuse_unpriced_sale(product: Product) -> None:
    if product.active and product.price <= 0:
        raise FieldError(_("Sản phẩm chưa có giá bán: đặt giá trước khi mở bán."),
                         field="active", code="no_price")


def create_product(session: Session, *, data: dict, by: User) -> Product:
    """A new product. Without a price it starts inactive at 0 ₫; with one, its first
    price is the first line of its price history."""
    required = {"name": _("tên sản phẩm"), "producer_id": _("chủ thể"),
                "category": _("nhóm hàng"), "vat_rate": _("thuế suất GTGT")}
    for key, label in required.items():
        if data.get(key) in (None, ""):
            raise FieldError(_("Thiếu %(label)s.", label=label), field=key)
    fields = clean_product_fields(session, data)
    raw_price = data.get("price")
    price = 0 if raw_price in (None, "") else clean_price(raw_price)
    fields = {"unit": DEFAULT_UNIT, "active": price > 0, "origin_url": "",
              "stars": None, "certified_year": None} | fields
    fields.setdefault("code", next_product_code(session))
    _check_code_unique(session, fields["code"], None)
    product = Product(**fields, price=price, name_folded=fold(fields["name"]))
    _refuse_unpriced_sale(product)
    session.add(product)
    session.flush()
    if price:
        session.add(PriceChange(product_id=product.id, old_price=None, price=price,
                                effective_from=utcnow(), applied_at=utcnow(),
                                created_by=by.username, note=_("Giá ban đầu")))
    session.flush()
    return product


def update_product(session: Session, *, product: Product, data: dict) -> Product:
    """Change the given fields (not the price); the folded name follows the name."""
    fields = clean_product_fields(session, data)
    if "code" in fields:
        _check_code_unique(session, fields["code"], product.id)
    for key, value in fields.items():
        if getattr(product, key) != value:
            setattr(product, key, value)
    if product.name_folded != fold(product.name):
        product.name_folded = fold(product.name)
    _refuse_unpriced_sale(product)
    session.flush()
    return product


def set_active(session: Session, *, product: Product, active: bool) -> Product:
    """Put a product on sale at the booths, or take it off (it stays in the history)."""
    return update_product(session, product=product, data={"active": active})


def add_barcode(session: Session, *, product: Product, code: str | None) -> Barcode:
    """Attach a scanned or typed code after checking its check digit; ``None`` issues the
    product an in-store code (prefix 20). A code another product carries is refused."""
    if code is None:
        return _issue_instore_code(session, product)
    scan = parse_scan(code)
    kind = "instore" if scan.kind == "instore_price" else scan.kind
    owner = session.scalar(select(Barcode).where(Barcode.code == scan.lookup_code))
    if owner is not None:
        raise Conflict(_("Mã vạch %(c)s đã gắn với sản phẩm %(p)s “%(n)s”.", c=scan.lookup_code,
                         p=owner.product.code, n=owner.product.name), field="barcode",
                       code="duplicate_barcode")
    barcode = Barcode(code=scan.lookup_code, kind=kind)
    product.barcodes.append(barcode)
    session.flush()
    return barcode


def _issue_instore_code(session: Session, product: Product) -> Barcode:
    number = product.id
    while session.scalar(select(Barcode.id).where(Barcode.code == make_instore_code(number))):
        number += 100_000
    barcode = Barcode(code=make_instore_code(number), kind="instore")
    product.barcodes.append(barcode)
    session.flush()
    return barcode


def remove_barcode(session: Session, *, product: Product, code: str) -> None:
    """Detach one of the product's codes (the booths drop it at their next sync)."""
    barcode = next((b for b in product.barcodes if b.code == code.strip()), None)
    if barcode is None:
        raise NotFound(_("Sản phẩm %(p)s không có mã vạch %(c)s.", p=product.code,
                         c=code.strip()[:48]), field="barcode", code="unknown_barcode")
    product.barcodes.remove(barcode)
    session.flush()


# --- prices ---------------------------------------------------------------------------------


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight in Vietnam today, as an aware datetime."""
    local = (now or utcnow()).astimezone(VIETNAM)
    return datetime.combine(local.date(), time(0), VIETNAM)


def effective_moment(value: object) -> datetime | None:
    """A date means its first moment in Vietnam; a naive time is Vietnam's. Accepts
    ISO text (``2026-12-15`` or ``2026-12-15T08:00``) as JSON sends it."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = (date.fromisoformat(value) if len(value) == 10
                     else datetime.fromisoformat(value))
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise FieldError(_("Ngày hiệu lực phải có dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM."),
                         field="effective_from")
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), VIETNAM)
    return value if value.tzinfo else value.replace(tzinfo=VIETNAM)


def change_price(session: Session, *, product: Product, price: object, by: User,
                 effective_from: object = None, note: str = "",
                 now: datetime | None = None) -> PriceChange:
    """Record a new price. Effective now (or earlier today): applied at once. Later:
    kept pending until ``apply_due_price_changes``. A date before today is refused (sales
    already made at the old price cannot change)."""
    now = now or utcnow()
    price = clean_price(price)
    note = clean_text(note, field="note", label=_("Ghi chú"), max_len=300)
    moment = effective_moment(effective_from) or now
    if moment < start_of_today(now):
        raise FieldError(_("Ngày hiệu lực không được trước hôm nay."), field="effective_from")
    if moment <= now:
        if price == product.price:
            raise FieldError(_("Giá mới trùng giá hiện tại (%(p)s).",
                               p=f"{price:,} ₫".replace(",", ".")), field="price",
                             code="unchanged")
        change = PriceChange(product_id=product.id, old_price=product.price, price=price,
                             effective_from=now, applied_at=now, created_by=by.username,
                             note=note, created_at=now)
        product.price = price
    else:
        change = PriceChange(product_id=product.id, old_price=None, price=price,
                             effective_from=moment.astimezone(UTC), applied_at=None,
                             created_by=by.username, note=note, created_at=now)
    session.add(change)
    session.flush()
    return change


def apply_due_price_changes(session: Session, *, now: datetime | None = None
                            ) -> list[PriceChange]:
    """Apply every pending price change whose time has come, oldest first; each applied
    price bumps the catalogue version. Safe to run from several places at once (rows
    another transaction is applying are skipped on PostgreSQL)."""
    now = now or utcnow()
    due = session.scalars(select(PriceChange).where(
        PriceChange.applied_at.is_(None), PriceChange.effective_from <= now)
        .order_by(PriceChange.effective_from, PriceChange.id)
        .with_for_update(skip_locked=True)).all()
    for change in due:
        product = session.get(Product, change.product_id)
        change.old_price = product.price
        change.applied_at = now
        product.price = change.price
    if due:
        session.flush()
    return list(due)


def price_history(session: Session, *, product: Product) -> list[PriceChange]:
    """Every price change of the product, pending ones first, then newest first."""
    return list(session.scalars(select(PriceChange).where(
        PriceChange.product_id == product.id).order_by(
        PriceChange.applied_at.is_not(None), PriceChange.effective_from.desc(),
        PriceChange.id.desc())))


# --- JSON -----------------------------------------------------------------------------------


def producer_to_json(producer: Producer) -> dict:
    return {"id": producer.id, "name": producer.name, "kind": producer.kind,
            "commune": producer.commune, "district": producer.district,
            "phone": producer.phone, "catalog_version": producer.catalog_version}


def product_to_json(product: Product) -> dict:
    """The contract's product shape, with every catalogue field (no stock at central)."""
    producer = product.producer
    return {
        "id": product.id, "code": product.code, "name": product.name, "price": product.price,
        "vat_rate": product.vat_rate, "stars": product.stars, "unit": product.unit,
        "category": product.category, "certified_year": product.certified_year,
        "active": product.active, "origin_url": product.origin_url,
        "producer": {"id": producer.id, "name": producer.name, "kind": producer.kind,
                     "commune": producer.commune, "district": producer.district},
        "barcodes": [b.code for b in product.barcodes],
        "on_hand": None, "catalog_version": product.catalog_version,
    }


def price_change_to_json(change: PriceChange) -> dict:
    return {"id": change.id, "product_id": change.product_id, "old_price": change.old_price,
            "price": change.price, "effective_from": change.effective_from.isoformat(),
            "created_at": change.created_at.isoformat(), "created_by": change.created_by,
            "applied_at": change.applied_at.isoformat() if change.applied_at else None,
            "status": "applied" if change.applied_at else "pending", "note": change.note}


# --- command line ---------------------------------------------------------------------------

prices_group = AppGroup("prices", help="Giá bán (trung tâm).")


@prices_group.command("apply")
def apply_prices_command():
    """Apply the price changes whose effective time has come (central only)."""
    from core.extensions import db

    if current_app.config["OCOP_ROLE"] != "central":
        raise click.ClickException("Lệnh này chỉ chạy ở trung tâm (OCOP_ROLE=central).")
    applied = apply_due_price_changes(db.session)
    db.session.commit()
    click.echo(f"Đã áp dụng {len(applied)} thay đổi giá đến hạn.")
