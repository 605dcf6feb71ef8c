"""The managers' label page: choose products and counts, get an A4 PDF of labels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from stdnum import ean

from core.errors import Conflict
from core.extensions import db
from inventory.barcodes import make_instore_code
from inventory.models import Barcode, Product
from pos.demo import DEMO_PASSWORD
from receipts.services import ensure_instore_barcode, label_barcode
from tests.conftest import csrf_token, login

MANAGER, CASHIER = "quanly.coop-01", "thungan.coop-01"
ERROR = re.compile(r'class="field-error" role="alert">([^<]+)<')


@pytest.fixture
def manager(seeded, client):
    login(client, MANAGER, DEMO_PASSWORD)
    return client


def _product(app, name: str) -> tuple[int, str]:
    """(id, first barcode) of a demo product, by exact name."""
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == name))
        return product.id, product.barcodes[0].code


def _strip_barcodes(app, product_id: int) -> None:
    """Make a product that has no barcode at all, as an untidy import would."""
    with app.app_context():
        for barcode in db.session.scalars(select(Barcode).where(
                Barcode.product_id == product_id)):
            db.session.delete(barcode)
        db.session.commit()


def _post(client, lines: dict[int, str], *, layout="3x8", skip="0", token=True):
    data = {"layout": layout, "skip": skip}
    for i, (product_id, copies) in enumerate(lines.items()):
        data[f"lines-{i}-product_id"] = str(product_id)
        data[f"lines-{i}-copies"] = copies
    if token:
        data["csrf_token"] = csrf_token(client, "/labels")
    return client.post("/labels", data=data)


def test_the_page_lists_products_filtered_by_the_search(manager):
    page = manager.get("/labels?q=mat ong")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "In nhãn sản phẩm" in html
    assert "Mật ong hoa rừng đồi bà Chúa Hích" in html
    assert "Nem chua Chí Quý Bình Chí" not in html
    assert "A4 – 3 × 8 nhãn (70 × 37 mm)" in html and "A4 – 4 × 10 nhãn" in html
    assert 'href="/labels"' in manager.get("/catalog").get_data(as_text=True)  # menu entry


def test_a_manager_gets_a_pdf_with_names_and_valid_barcodes(seeded, manager, pdftotext):
    honey, honey_code = _product(seeded, "Mật ong hoa rừng đồi bà Chúa Hích")
    nem, _ = _product(seeded, "Nem chua Chí Quý Bình Chí")
    _strip_barcodes(seeded, nem)

    response = _post(manager, {honey: "2", nem: "3"}, layout="3x8", skip="1")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline; filename=nhan-san-pham.pdf"
    assert response.data.startswith(b"%PDF-")
    text = pdftotext(response.data)
    flat = " ".join(text.split())
    assert flat.count("Mật ong hoa rừng đồi bà Chúa Hích") == 2
    assert flat.count("Nem chua Chí Quý Bình Chí") == 3
    with seeded.app_context():
        nem_code = db.session.get(Product, nem).barcodes[0].code
    assert nem_code.startswith("20") and ean.is_valid(nem_code)
    digits = re.sub(r"\D", "", text)
    for code in (honey_code, nem_code):
        assert ean.is_valid(code)
        assert code in digits, code


def test_printing_gives_a_product_without_barcode_an_instore_code_once(seeded, session):
    product = session.scalar(select(Product).where(Product.name == "Nem chua Chí Quý Bình Chí"))
    for barcode in list(product.barcodes):
        session.delete(barcode)
    session.flush()
    session.expire(product, ["barcodes"])
    assert label_barcode(product) is None

    code = ensure_instore_barcode(session, product)

    assert code.startswith("20") and ean.is_valid(code)
    assert [(b.code, b.kind) for b in product.barcodes] == [(code, "instore")]
    assert ensure_instore_barcode(session, product) == code  # no second code
    assert len(product.barcodes) == 1


def test_a_price_base_code_is_not_printed_on_a_label(seeded, session):
    product = session.scalar(select(Product).where(Product.name == "Nem chua Chí Quý Bình Chí"))
    product.barcodes[:] = [Barcode(code="2400170000004", kind="instore")]
    session.flush()
    code = ensure_instore_barcode(session, product)
    assert code != "2400170000004" and code.startswith("20")


def test_an_instore_code_already_on_another_product_is_refused(seeded, session):
    product, other = session.scalars(select(Product).order_by(Product.id).limit(2))
    product.barcodes[:] = []
    other.barcodes.append(Barcode(code=make_instore_code(product.id), kind="instore"))
    session.flush()
    with pytest.raises(Conflict, match="đã gắn cho sản phẩm khác"):
        ensure_instore_barcode(session, product)


def test_a_cashier_may_not_print_labels(seeded, client):
    login(client, CASHIER, DEMO_PASSWORD)
    assert client.get("/labels").status_code == 403
    assert 'href="/labels"' not in client.get("/catalog").get_data(as_text=True)
    honey, _ = _product(seeded, "Mật ong hoa rừng đồi bà Chúa Hích")
    token = csrf_token(client, "/catalog")
    response = client.post("/labels", data={"csrf_token": token, "layout": "3x8", "skip": "0",
                                            "lines-0-product_id": str(honey),
                                            "lines-0-copies": "1"})
    assert response.status_code == 403
    assert not response.data.startswith(b"%PDF")


@pytest.mark.parametrize("copies", ["-1", "abc", "100000", "1.5"])
def test_a_bad_quantity_is_refused_in_vietnamese(seeded, manager, copies):
    honey, _ = _product(seeded, "Mật ong hoa rừng đồi bà Chúa Hích")
    nem, _ = _product(seeded, "Nem chua Chí Quý Bình Chí")
    _strip_barcodes(seeded, nem)

    response = _post(manager, {honey: copies, nem: "2"})

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert not response.data.startswith(b"%PDF")
    assert ERROR.findall(response.get_data(as_text=True)) == [
        "Số nhãn phải là số nguyên từ 0 đến 500."]
    with seeded.app_context():  # nothing written either
        assert db.session.get(Product, nem).barcodes == []


def test_no_labels_unknown_layout_and_too_many_skipped_are_refused(seeded, manager):
    honey, _ = _product(seeded, "Mật ong hoa rừng đồi bà Chúa Hích")

    nothing = _post(manager, {honey: "0"})
    assert nothing.status_code == 422
    assert ERROR.findall(nothing.get_data(as_text=True)) == [
        "Chưa chọn nhãn nào để in: nhập số nhãn cho ít nhất một sản phẩm."]

    layout = _post(manager, {honey: "1"}, layout="5x5")
    assert layout.status_code == 422
    assert "Khổ nhãn không hợp lệ." in ERROR.findall(layout.get_data(as_text=True))

    skip = _post(manager, {honey: "1"}, layout="3x8", skip="24")
    assert skip.status_code == 422
    assert ERROR.findall(skip.get_data(as_text=True)) == [
        "Số nhãn bỏ qua phải là số nguyên từ 0 đến 23."]


def test_an_unknown_product_is_refused(manager):
    response = _post(manager, {999_999: "1"})
    assert response.status_code == 303
    page = manager.get("/labels").get_data(as_text=True)
    assert "Không có sản phẩm đang bán mã số 999999." in page


def test_a_post_without_csrf_token_is_rejected(seeded, manager):
    honey, _ = _product(seeded, "Mật ong hoa rừng đồi bà Chúa Hích")
    response = _post(manager, {honey: "1"}, token=False)
    assert response.status_code == 400
    assert not response.data.startswith(b"%PDF")
    assert "CSRF" in response.get_data(as_text=True)
