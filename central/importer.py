"""Catalogue files: export to CSV/XLSX, and import them back, all or nothing.

An import reads the whole file, checks every row against the same rules as the office
pages (``central.catalog``) and against the database, and either applies every row in the
caller's transaction or raises ``ImportRejected`` listing each bad row's row number (as a
spreadsheet shows it: the header is row 1), column and reason. Nothing is half-imported.

How rows are matched and what a file without some columns means:

* A row names its product by ``code`` when the file has that column and the cell is set;
  otherwise by name + producer + district (the shipped source file has no codes). A row
  that matches nothing is a new product (its code is the next ``OCOP-TH-NNNN`` if none).
* Only the columns the file has are written: a file of ``code, price`` changes prices
  and nothing else; an empty ``stars`` cell means "no rating stated".
* Without a ``price`` column (the sources state no prices), matched products keep their
  price and new ones arrive inactive at 0 ₫, with VAT 8 % and unit "cái" unless the file
  says otherwise: the office sets a price before opening them for sale. With a ``price``
  column every row needs a price; a changed price is written to the price history.
* ``active`` is 1 (on sale) or 0 / empty (not on sale); a product cannot be on sale at
  0 ₫.
* ``barcodes`` (codes separated by spaces) replaces the product's barcodes; a code is
  refused if it is repeated in the file or ends up on two products.
* Producers are found by (name, district); an unnamed producer has an empty name, and
  its commune is left empty (it stands for several producers of the district).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from central import catalog
from core.errors import Conflict, DomainError
from core.models import User
from core.textfold import fold
from core.types import utcnow
from inventory.barcodes import parse_scan
from inventory.models import Barcode, PriceChange, Producer, Product

MAX_UPLOAD = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNZIPPED = 200 * 1024 * 1024
DEFAULT_VAT = 8

EXPORT_COLUMNS = ("code", "name", "producer", "producer_kind", "district", "commune",
                  "category", "unit", "stars", "year", "price", "vat_rate", "active",
                  "barcodes", "origin_url")
EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "danh-muc-ocop.csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "danh-muc-ocop.xlsx"),
}
# Header spellings accepted for each column (folded; "_" reads as a space).
ALIASES = {
    "code": ("code", "ma", "ma san pham", "ma sp"),
    "name": ("name", "ten", "ten san pham"),
    "producer": ("producer", "chu the", "nha san xuat"),
    "producer_kind": ("producer kind", "loai chu the"),
    "district": ("district", "huyen"),
    "commune": ("commune", "xa"),
    "category": ("category", "nhom hang"),
    "unit": ("unit", "don vi", "don vi tinh"),
    "stars": ("stars", "sao", "hang sao"),
    "year": ("year", "certified year", "nam cong nhan"),
    "price": ("price", "gia", "gia ban"),
    "vat_rate": ("vat rate", "vat", "thue suat", "thue gtgt"),
    "active": ("active", "dang ban"),
    "barcodes": ("barcodes", "barcode", "ma vach"),
    "origin_url": ("origin url", "nguon"),
    "sources": ("sources",),
    "decision": ("decision", "quyet dinh"),
}
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused: its row and column as the office sees them."""

    row: int | None
    column: str | None
    message: str

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("Dòng %(n)d", n=self.row))
        if self.column:
            where.append(_("cột %(c)s", c=self.column))
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(DomainError):
    """The file was refused whole; ``problems`` lists every bad row."""

    status = 422
    code = "import_rejected"

    def __init__(self, problems: list[Problem]):
        bad_rows = len({p.row for p in problems if p.row is not None})
        message = _("Tệp bị từ chối, không dòng nào được nhập: %(n)d lỗi ở %(r)d dòng.",
                    n=len(problems), r=bad_rows) if bad_rows else problems[0].message
        super().__init__(message, field="file")
        self.problems = problems

    def to_json(self) -> dict:
        body = super().to_json()
        body["error"]["problems"] = [p.to_json() | {"text": p.text()} for p in self.problems]
        return body


class FileTooLarge(DomainError):
    status = 413
    code = "too_large"


@dataclass
class ImportResult:
    """What an accepted file changed."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_inactive: int = 0
    producers_created: int = 0
    producers_updated: int = 0
    price_changes: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def limit_upload() -> None:
    """Refuse an upload over ``MAX_UPLOAD`` from its declared size, before reading it;
    a body sent without a size is cut off at the same limit while it is read."""
    request.max_content_length = MAX_UPLOAD
    size = request.content_length
    if size is not None and size > MAX_UPLOAD:
        shown = f"{size / 1024 / 1024:.1f}".replace(".", ",")  # Vietnamese decimal comma
        raise FileTooLarge(_("Tệp quá lớn (%(s)s MB): tối đa %(m)d MB.", s=shown,
                             m=MAX_UPLOAD // 1024 // 1024), field="file")


# --- reading --------------------------------------------------------------------------------


def _not_a_table() -> ImportRejected:
    return ImportRejected([Problem(None, None, _(
        "Tệp không phải CSV (mã hóa UTF-8) hay Excel .xlsx. Trong Excel, chọn Lưu thành "
        "“CSV UTF-8” hoặc “Sổ làm việc Excel (.xlsx)”."))])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The file's rows as ``(row number, cells)``, header first. The content decides
    the format (an XLSX is a ZIP holding a workbook), never the file's name."""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected([Problem(None, None, _(
            "Tệp Excel 97–2003 (.xls) chưa được hỗ trợ: hãy lưu lại thành .xlsx hoặc "
            "CSV UTF-8."))])
    if b"\x00" in data[:65536]:
        raise _not_a_table()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_table() from None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:65536]):
        raise _not_a_table()
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter),
                                       start=1):
            rows.append((number, [_unescape(c) for c in cells]))
            if number > MAX_ROWS + 1:
                break
    except csv.Error as err:
        raise ImportRejected([Problem(len(rows) + 1, None, _(
            "Lỗi định dạng CSV: %(e)s", e=str(err)))]) from None
    return rows


def _unescape(cell: str) -> str:
    """Undo the quote the export puts before a cell a spreadsheet would run as a formula."""
    return cell[1:] if cell[:2] in {"'" + c for c in _FORMULA_START} else cell


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_table() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_table()
    if unzipped > MAX_UNZIPPED:
        raise ImportRejected([Problem(None, None, _("Tệp Excel giải nén ra quá lớn."))])
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise ImportRejected([Problem(None, None, _(
            "Không đọc được tệp Excel: tệp hỏng hoặc không phải .xlsx."))]) from None
    try:
        rows = []
        for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True),
                                        start=1):
            rows.append((number, [_cell(v) for v in values]))
            if number > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return rows


# --- checking -------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    product: Product | None
    fields: dict
    producer_key: tuple[str, str] | None
    price: int | None
    barcodes: list[tuple[str, str]] | None  # (code, kind)
    code: str | None = None


@dataclass
class _Plan:
    rows: list[_Row]
    producer_facts: dict[tuple[str, str], dict]
    ignored: list[str]


@dataclass
class _Cleaner:
    """Applies a field rule to one cell; a refusal becomes a problem of that row."""

    raw: dict[str, str]
    number: int
    title: dict[str, str]
    problems: list[Problem]

    def __call__(self, key: str, rule, *args, **kwargs):
        try:
            return rule(self.raw[key], *args, **kwargs)
        except DomainError as err:
            self.problems.append(Problem(self.number, self.title[key], err.message))
            return None


def _columns(header: list[str], problems: list[Problem]) -> tuple[dict[str, int], list[str]]:
    lookup = {alias: key for key, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        key = lookup.get(fold(title).replace("_", " "))
        if key is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if key in columns:
            problems.append(Problem(1, title, _("Cột bị lặp lại.")))
        columns[key] = index
    if "name" not in columns and "code" not in columns:
        problems.append(Problem(1, None, _(
            "Tệp thiếu cột name (tên sản phẩm) hoặc code (mã sản phẩm) ở dòng tiêu đề.")))
    return columns, ignored


def _check(session: Session, table: list[tuple[int, list[str]]]) -> _Plan:
    problems: list[Problem] = []
    if not table:
        raise ImportRejected([Problem(None, None, _("Tệp trống."))])
    if len(table) > MAX_ROWS + 1:
        raise ImportRejected([Problem(None, None, _(
            "Tệp có quá %(n)s dòng: hãy chia nhỏ.", n=f"{MAX_ROWS:,}".replace(",", ".")))])
    header = table[0][1]
    columns, ignored = _columns(header, problems)
    if problems:
        raise ImportRejected(problems)
    title = {key: header[index].strip() for key, index in columns.items()}

    products = session.scalars(select(Product).options(
        selectinload(Product.producer), selectinload(Product.barcodes))).all()
    by_code = {p.code: p for p in products}
    by_key = {(p.name, p.producer.name, p.producer.district): p for p in products}
    by_name: dict[str, list[Product]] = {}
    for p in products:
        by_name.setdefault(p.name, []).append(p)
    producer_districts: dict[str, list[str]] = {}
    for name_, district_ in session.execute(select(Producer.name, Producer.district)):
        producer_districts.setdefault(name_, []).append(district_)
    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    facts: dict[tuple[str, str], dict] = {}
    fact_rows: dict[tuple[tuple[str, str], str], int] = {}
    file_codes: dict[str, int] = {}

    for number, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue
        raw = {key: (cells[i] if i < len(cells) else "") for key, i in columns.items()}
        before = len(problems)
        clean = _Cleaner(raw, number, title, problems)
        code = clean("code", catalog.clean_code) if raw.get("code", "").strip() else None
        name = clean("name", catalog.clean_text, field="name", label=_("Tên sản phẩm"),
                     max_len=200) if "name" in raw else None
        has_producer = any(k in raw for k in ("producer", "district"))
        pname = clean("producer", catalog.clean_text, field="producer",
                      label=_("Tên chủ thể"), max_len=200) if "producer" in raw else ""
        district = clean("district", catalog.clean_text, field="district",
                         label=_("Huyện/thị xã"), max_len=100) if "district" in raw else ""
        if len(problems) > before:
            continue

        if "producer" in raw and "district" not in raw:
            district = _district_of(pname, by_code.get(code) if code else None, by_name.get(
                name or "", []), producer_districts)
        product = None
        if code:
            product = by_code.get(code)
        elif name and has_producer:
            product = by_key.get((name, pname, district))
        elif name:
            same = by_name.get(name, [])
            if len(same) > 1:
                problems.append(Problem(number, title["name"], _(
                    "Có %(n)d sản phẩm cùng tên “%(name)s”: thêm cột code hoặc producer "
                    "để chỉ rõ.", n=len(same), name=name)))
                continue
            product = same[0] if same else None
        if product is None and not name:
            column = title.get("name") or title["code"]
            problems.append(Problem(number, column, _(
                "Không có sản phẩm mã %(c)s; muốn thêm mới thì cần tên sản phẩm.", c=code)
                if code else _("Thiếu tên sản phẩm.")))
            continue
        key = ("id", product.id) if product else ("code", code) if code else (
            "new", name, pname, district)
        if key in seen:
            problems.append(Problem(number, title.get("code") or title["name"], _(
                "Sản phẩm này đã có ở dòng %(n)d.", n=seen[key])))
            continue
        seen[key] = number

        fields: dict = {}
        if name and (product is None or name != product.name):
            fields["name"] = name
        rules = {"category": (catalog.clean_category,), "stars": (catalog.clean_stars,),
                 "year": (catalog.clean_year,), "vat_rate": (catalog.clean_vat,),
                 "active": (catalog.clean_bool,), "origin_url": (catalog.clean_url,)}
        for column, (rule,) in rules.items():
            if column in raw:
                fields["certified_year" if column == "year" else column] = clean(column, rule)
        if "unit" in raw:
            fields["unit"] = clean("unit", catalog.clean_text, field="unit",
                                   label=_("Đơn vị tính"), max_len=30, required=True)
        if "origin_url" not in raw and "sources" in raw:
            fields["origin_url"] = clean("sources", lambda v: catalog.clean_url(
                (v.split() or [""])[0]))
        # 0 ₫ is allowed for a product not on sale (an export of unpriced products).
        price = clean("price", catalog.clean_price, allow_zero=True) if "price" in raw \
            else None

        barcodes = None
        if "barcodes" in raw:
            barcodes = []
            for typed in raw["barcodes"].replace(",", " ").replace(";", " ").split():
                try:
                    scan = parse_scan(typed)
                except DomainError as err:
                    problems.append(Problem(number, title["barcodes"], err.message))
                    continue
                lookup = scan.lookup_code
                if lookup in file_codes:
                    problems.append(Problem(number, title["barcodes"], _(
                        "Mã vạch %(c)s trùng với dòng %(n)d.", c=lookup, n=file_codes[lookup])
                        if file_codes[lookup] != number else _(
                        "Mã vạch %(c)s ghi hai lần.", c=lookup)))
                    continue
                file_codes[lookup] = number
                barcodes.append((lookup, "instore" if scan.kind == "instore_price"
                                 else scan.kind))

        producer_key = None
        if product is None or has_producer:
            producer_key = (pname, district)
            kind = clean("producer_kind", catalog.clean_kind) \
                if raw.get("producer_kind", "").strip() else None
            commune = clean("commune", catalog.clean_text, field="commune",
                            label=_("Xã/phường"), max_len=100) \
                if pname and "commune" in raw else ""
            known = facts.setdefault(producer_key, {})
            for fact, value in (("kind", kind), ("commune", commune)):
                if not value:
                    continue
                if fact in known and known[fact] != value:
                    column = title["producer_kind" if fact == "kind" else "commune"]
                    problems.append(Problem(number, column, _(
                        "Chủ thể “%(p)s” đã ghi %(v)s ở dòng %(n)d.",
                        p=pname or _("chưa công bố tên"), v=known[fact],
                        n=fact_rows[producer_key, fact])))
                    continue
                known[fact] = value
                fact_rows[producer_key, fact] = number

        if len(problems) > before:
            continue
        final_price = price if price is not None else (product.price if product else 0)
        active = fields.get("active", product.active if product else final_price > 0)
        if active and final_price <= 0:
            column = title.get("active") or title.get("price") or title["name"]
            problems.append(Problem(number, column, _(
                "Sản phẩm chưa có giá bán nên chưa thể đang bán (active = 1).")))
            continue
        rows.append(_Row(number=number, product=product, fields=fields,
                         producer_key=producer_key, price=price, barcodes=barcodes,
                         code=code))

    _check_barcodes_against_database(session, rows, problems, title)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    if not rows:
        raise ImportRejected([Problem(None, None, _("Tệp chỉ có dòng tiêu đề, không có sản "
                                                    "phẩm nào."))])
    return _Plan(rows=rows, producer_facts=facts, ignored=ignored)


def _district_of(producer: str, by_code: Product | None, by_name: list[Product],
                 districts: dict[str, list[str]]) -> str:
    """Without a district column, a producer keeps the district it has: the product's own
    producer's, else the only producer of that name's; unknown otherwise."""
    for product in [by_code, *by_name]:
        if product is not None and product.producer.name == producer:
            return product.producer.district
    known = districts.get(producer, [])
    return known[0] if len(known) == 1 else ""


def _check_barcodes_against_database(session: Session, rows: list[_Row],
                                     problems: list[Problem], title: dict) -> None:
    """A code may move between products within one file, but never end up on two."""
    owner = dict(session.execute(select(Barcode.code, Barcode.product_id)).all())
    released = {code for row in rows if row.product is not None and row.barcodes is not None
                for code in {b.code for b in row.product.barcodes} - {c for c, _k in
                                                                        row.barcodes}}
    names = dict(session.execute(select(Product.id, Product.code)).all())
    for row in rows:
        for code, _kind in row.barcodes or ():
            holder = owner.get(code)
            if holder is None or (row.product is not None and holder == row.product.id):
                continue
            if code in released:
                continue
            problems.append(Problem(row.number, title["barcodes"], _(
                "Mã vạch %(c)s đã gắn với sản phẩm %(p)s.", c=code, p=names.get(holder))))


# --- applying -------------------------------------------------------------------------------


def import_catalog(session: Session, *, data: bytes, filename: str, by: User
                   ) -> ImportResult:
    """Check the whole file, then apply it in the caller's transaction (flushed, not
    committed), or raise ``ImportRejected`` with every problem and write nothing."""
    plan = _check(session, read_table(data))
    try:
        return _apply(session, plan, filename=filename, by=by)
    except IntegrityError:
        session.rollback()
        raise Conflict(_("Danh mục vừa thay đổi trong lúc nhập; hãy nhập lại tệp."),
                       field="file") from None


def _apply(session: Session, plan: _Plan, *, filename: str, by: User) -> ImportResult:
    now = utcnow()
    note = _("Nhập từ tệp %(f)s", f=filename[:200]) if filename else _("Nhập từ tệp")
    result = ImportResult(rows=len(plan.rows), ignored_columns=plan.ignored)

    # Codes a product gives up go first, so another product may take them in this file.
    gave_up: set[int] = set()
    for row in plan.rows:
        if row.product is not None and row.barcodes is not None:
            keep = {code for code, _kind in row.barcodes}
            for barcode in [b for b in row.product.barcodes if b.code not in keep]:
                row.product.barcodes.remove(barcode)
                gave_up.add(row.product.id)
    session.flush()

    producers = {(p.name, p.district): p for p in session.scalars(select(Producer))}
    for key, facts in plan.producer_facts.items():
        producer = producers.get(key)
        if producer is None:
            producer = Producer(name=key[0], name_folded=fold(key[0]), district=key[1],
                                kind=facts.get("kind", "other"),
                                commune=facts.get("commune", ""))
            session.add(producer)
            producers[key] = producer
            result.producers_created += 1
        elif any(getattr(producer, f) != v for f, v in facts.items()):
            for fact, value in facts.items():
                setattr(producer, fact, value)
            result.producers_updated += 1

    taken = {row.code for row in plan.rows if row.code}
    for row in plan.rows:
        producer = producers[row.producer_key] if row.producer_key else None
        if row.product is None:
            _create(session, row, producer, taken, by=by, now=now, note=note, result=result)
        else:
            _update(session, row, producer, by=by, now=now, note=note, result=result,
                    gave_up=row.product.id in gave_up)
    session.flush()
    return result


def _create(session, row: _Row, producer: Producer, taken: set[str], *, by, now, note,
            result: ImportResult) -> None:
    code = row.code or catalog.next_product_code(session, taken)
    taken.add(code)
    fields = {"category": "other", "unit": catalog.DEFAULT_UNIT, "stars": None,
              "certified_year": None, "vat_rate": DEFAULT_VAT, "origin_url": ""} | row.fields
    price = row.price or 0
    fields.setdefault("active", price > 0)
    product = Product(code=code, name_folded=fold(fields["name"]), producer=producer,
                      price=price, **fields)
    product.barcodes = [Barcode(code=c, kind=k) for c, k in row.barcodes or ()]
    session.add(product)
    if price:
        product_change = PriceChange(product=product, old_price=None, price=price,
                                     effective_from=now, applied_at=now, created_at=now,
                                     created_by=by.username, note=note)
        session.add(product_change)
        result.price_changes += 1
    result.created += 1
    result.created_inactive += 0 if fields["active"] else 1


def _update(session, row: _Row, producer: Producer | None, *, by, now, note,
            result: ImportResult, gave_up: bool) -> None:
    product = row.product
    changed = gave_up
    for key, value in row.fields.items():
        if getattr(product, key) != value:
            setattr(product, key, value)
            changed = True
    if "name" in row.fields:
        product.name_folded = fold(product.name)
    if producer is not None and product.producer is not producer:
        product.producer = producer
        changed = True
    if row.price is not None and row.price != product.price:
        session.add(PriceChange(product_id=product.id, old_price=product.price,
                                price=row.price, effective_from=now, applied_at=now,
                                created_at=now, created_by=by.username, note=note))
        product.price = row.price
        result.price_changes += 1
        changed = True
    if row.barcodes is not None:
        have = {b.code for b in product.barcodes}
        for code, kind in row.barcodes:
            if code not in have:
                product.barcodes.append(Barcode(code=code, kind=kind))
                changed = True
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


# --- export ---------------------------------------------------------------------------------


def export_rows(session: Session) -> list[list]:
    """Every product, one row each, in the columns an import reads back."""
    rows = []
    for p in session.scalars(select(Product).order_by(Product.code).options(
            selectinload(Product.producer), selectinload(Product.barcodes))):
        rows.append([p.code, p.name, p.producer.name, p.producer.kind, p.producer.district,
                     p.producer.commune, p.category, p.unit, p.stars, p.certified_year,
                     p.price, p.vat_rate, 1 if p.active else 0,
                     " ".join(b.code for b in p.barcodes), p.origin_url])
    return rows


def export_catalog(session: Session, *, fmt: str) -> bytes:
    """The catalogue as CSV (UTF-8 with BOM, so Excel shows the diacritics) or XLSX."""
    rows = export_rows(session)
    if fmt == "xlsx":
        return _xlsx(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START)
                         else "" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows: list[list]) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh mục")
    for letter, width in zip("ABCDEFGHIJKLMNO", (14, 48, 40, 12, 16, 16, 11, 14, 6, 6, 11, 8,
                                                 7, 30, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for title in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: no formula, no lost leading zero
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
