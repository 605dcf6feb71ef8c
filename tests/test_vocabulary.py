"""Every page, as each role sees it in Vietnamese, speaks one vocabulary: no English words
left over and no second spelling of a word the house has settled.

The crawl follows the url_map's GET pages of a booth and of central, with ids taken from
the database (a sale, a refund, a shift, a product…), signed in as each role that may
open them. The house spelling (the codebase's majority, and the old-style tone placement
of the province's own name, "Thanh Hóa"): "hóa đơn", "Hủy", "Tiền thừa".
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from core.extensions import db
from tests.conftest import FAST_HASH, TEST_PASSWORD, build_app, login
from tests.pos.test_counter_support import make_till

# The other spelling of a settled word → the house spelling.
MIXED = {
    r"\b[Hh]oá\b": "hóa (hóa đơn, hàng hóa)", r"\b[Hh]uỷ\b": "hủy", r"\bHUỶ\b": "HỦY",
    r"\bHOÁ\b": "HÓA", r"\b[Tt]iền thối\b": "tiền thừa", r"\bthối lại\b": "trả lại",
}
# English a Vietnamese page must not show. Codes, brands and formats are not here
# (VietQR, OCOP, PDF, CSV, XLSX, Excel, ESC/POS, Bearer, raster/text printer modes),
# nor "English", the language switch.
ENGLISH = {
    "Save", "Cancel", "Delete", "Edit", "Search", "Submit", "Login", "Logout", "Sign",
    "Password", "Username", "Total", "Subtotal", "Price", "Stock", "Sale", "Sales",
    "Refund", "Void", "Voided", "Print", "Printer", "Reprint", "Error", "Settings", "Home",
    "Back", "Next", "Previous", "Page", "Dashboard", "Report", "Reports", "Shift",
    "Shifts", "Cashier", "Manager", "Receipt", "Receipts", "Quantity", "Qty", "Product",
    "Products", "Name", "Date", "Status", "Amount", "Cash", "Card", "Change", "None",
    "True", "False", "Yes", "No", "Open", "Closed", "Close", "Pay", "Payment", "Discount",
    "Loading", "Download", "Export", "Import", "Upload", "Settle", "Booth", "Booths",
    "Office", "Warehouse", "Transfer", "Transfers", "Producer", "Producers", "Reason",
    "Note", "Notes", "Required", "Invalid", "Unknown", "Pending", "Failed", "Done",
    "pending", "failed", "completed", "voided", "printing", "open", "closed", "cashier",
    "manager", "office", "admin", "refund", "sale", "transfer", "cash", "card", "none",
    "the", "and", "of", "to", "for", "with", "from", "this", "Please", "Welcome", "Hello",
    "instore", "ean13", "ean8", "upca", "code128",
}
# Where an English word is a code, the page keeps it inside one of these.
CODE_TAGS = {"code", "pre", "kbd", "samp"}
TEXT_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
SKIP_ENDPOINTS = {"static", "static_unversioned", "web.favicon", "sales.export_sales",
                  "receipts.receipt_png", "counts.count_sheet"}


class ReadableText(HTMLParser):
    """The words a person reads on a page: text, labels in attributes and the strings a
    page hands its script in a JSON data block; not scripts, styles or code blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.json_block = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style") or tag in CODE_TAGS:
            self.stack.append(tag)
            self.json_block = tag == "script" and attrs.get("type") == "application/json"
        for name in TEXT_ATTRIBUTES & attrs.keys():
            self.parts.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
            self.json_block = False

    def handle_data(self, data):
        if not self.stack:
            self.parts.append(data)
        elif self.json_block:
            self.parts.extend(_strings(json.loads(data)))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def readable(html: str) -> str:
    parser = ReadableText()
    parser.feed(html)
    return "\n".join(parser.parts)


def problems(text: str) -> list[str]:
    text = re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", text)  # placeholders a script fills in
    found = [f"“{m.group(0)}” (viết {house})" for pattern, house in MIXED.items()
             for m in re.finditer(pattern, text)]
    # Words of ASCII letters only, bounded by anything that is not a letter (so "Hóa"
    # is not read as "H" + "a", and COOP-01 or OCOP_PRINTER are not words at all).
    for m in re.finditer(r"(?<![\w-])[A-Za-z]+(?![\w-])", text):
        if m.group(0) in ENGLISH:
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            found.append(f"“{m.group(0)}” in “{text[start:end if end > 0 else None][:80]}”")
    return sorted(set(found))


def _id_values(app) -> dict[str, list]:
    """Plausible values for every URL argument, from what the database holds."""
    from central.models import Settlement
    from inventory.models import Producer, Product, Stocktake, Transfer
    from pos.counter_models import Sale, Shift

    with app.app_context():
        s = db.session
        ids = {
            "id": [*s.scalars(select(Sale.id).order_by(Sale.kind, Sale.created_at)),
                   *s.scalars(select(Shift.id).order_by(Shift.opened_at)),
                   *s.scalars(select(Settlement.id).limit(2))],
            "product_id": list(s.scalars(select(Product.id).order_by(Product.id).limit(2))),
            "producer_id": list(s.scalars(select(Producer.id).order_by(Producer.id).limit(1))),
            "stocktake_id": list(s.scalars(select(Stocktake.id).limit(1))),
            "transfer_id": list(s.scalars(select(Transfer.id).limit(1))),
            "shift_id": list(s.scalars(select(Shift.id).limit(1))),
            "username": ["thungan.coop-01"], "signal": ["voids"],
        }
        db.session.remove()
    return ids


def crawl(app, client, role: str) -> tuple[dict[str, list[str]], list[str]]:
    """Open every GET page the role may see; the problems per URL, and what was seen."""
    values = _id_values(app)
    found, seen = {}, []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") \
                or rule.endpoint in SKIP_ENDPOINTS:
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
        if allowed is not None and role not in allowed:
            continue
        choices = [values.get(arg, []) for arg in sorted(rule.arguments)]
        combos = [dict(zip(sorted(rule.arguments), combo, strict=True))
                  for combo in _product(choices)]
        for args in combos or ([{}] if not rule.arguments else []):
            url = rule.build(args)[1]
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            seen.append(url)
            bad = problems(readable(response.get_data(as_text=True)))
            if bad:
                found[url] = bad
    return found, seen


def _product(choices: list[list]) -> list[tuple]:
    combos: list[tuple] = [()]
    for options in choices:
        combos = [(*c, o) for c in combos for o in options]
    return combos


@pytest.fixture
def booth(app):
    """The demo booth with a sale, a refund, a voided sale, a closed and an open shift,
    and a stocktake, so the pages that show them have something to show."""
    till = make_till(app)
    shift = till.open_shift()
    price = till.products[0]["price"]
    first = till.sell(payments=[{"method": "cash", "amount": price,
                                 "tendered": price + 50_000}])  # with change to give
    till.sell([{"product_id": till.products[1]["id"], "qty": 1}],
              [{"method": "transfer", "amount": till.products[1]["price"]}])
    till.post(f"/sales/{first['id']}/refund",
              {"lines": [{"product_id": till.products[0]["id"], "qty": 1}],
               "reason": "Khách đổi ý"}, who="manager")
    voided = till.sell()
    till.post(f"/sales/{voided['id']}/void", {"reason": "Bấm nhầm"}, who="manager")
    till.post(f"/shifts/{shift['id']}/close", {"counted_cash": 500_000})
    till.open_shift()
    till.sell()
    till.post("/stocktakes", {}, who="manager")
    return till


@pytest.mark.parametrize("username", ["thungan.coop-01", "quanly.coop-01"])
def test_every_booth_page_speaks_one_vietnamese(booth, username):
    from pos.demo import DEMO_PASSWORD

    client = booth.app.test_client()
    login(client, username, DEMO_PASSWORD if "thungan" in username else TEST_PASSWORD)
    client.get("/?lang=vi")
    found, seen = crawl(booth.app, client, "cashier" if "thungan" in username else "manager")
    assert len(seen) >= (6 if "thungan" in username else 15), seen
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_every_central_page_speaks_one_vietnamese(tmp_path):
    from werkzeug.security import generate_password_hash

    from core.models import User
    from pos.demo import seed_demo

    central = build_app(tmp_path, role="central")
    with central.app_context():
        seed_demo(db.session, booth_code=None, hash_method=FAST_HASH)
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        office.password_hash = generate_password_hash(TEST_PASSWORD, method=FAST_HASH)
        db.session.commit()
    client = central.test_client()
    login(client, "vanphong", TEST_PASSWORD)
    found, seen = crawl(central, client, "office")
    assert len(seen) >= 15, seen
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_the_checker_catches_what_it_is_for():
    assert problems("In lại hoá đơn") and problems("Huỷ đơn") and problems("Tiền thối")
    assert problems("Trạng thái: completed") and problems("Save")
    assert problems("In lại hóa đơn · Hủy · Tiền thừa · OCOP Thanh Hóa · VietQR · "
                    "COOP-01 · OCOP_PRINTER · English · 125.000 ₫") == []
