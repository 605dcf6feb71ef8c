"""Catalogue files at central: the export, and an import that is checked whole and then
applied in one transaction, or refused with every bad row's row, column and reason."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from importlib import resources

import openpyxl
import pytest
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import User
from core.services import create_token
from inventory.barcodes import ean13_with_check
from inventory.models import Barcode, PriceChange, Producer, Product
from pos.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import FAST_HASH, build_app, login

COLUMNS = ["code", "name", "producer", "producer_kind", "district", "commune", "category",
           "unit", "stars", "year", "price", "vat_rate", "active", "barcodes"]
SOURCE = resources.files("inventory").joinpath("data", "ocop-thanh-hoa-products.csv")


def _office_app(tmp_path, database_url: str, *, demo: bool):
    app = build_app(tmp_path, role="central", database_url=database_url)
    with app.app_context():
        if demo:
            seed_demo(db.session, booth_code="COOP-01", hash_method=FAST_HASH)
            office = db.session.scalar(select(User).where(User.username == "vanphong"))
        else:
            office = User(username="vanphong", role="office", password_hash="x")
            db.session.add(office)
            db.session.flush()
        app.config["TOKEN"] = create_token(db.session, user=office)[1]
        db.session.commit()
    return app


@pytest.fixture
def central(tmp_path, database_url):
    """Central with the demo catalogue (SQLite, and PostgreSQL when configured)."""
    app = _office_app(tmp_path, database_url, demo=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def empty_central(tmp_path, database_url):
    """Central with no catalogue at all, only the office."""
    app = _office_app(tmp_path, database_url, demo=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def upload(app, data: bytes, filename: str = "danh-muc.csv"):
    return app.test_client().post("/api/v1/catalog/import", headers={
        "Authorization": f"Bearer {app.config['TOKEN']}"},
        data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def export(app, fmt: str) -> bytes:
    response = app.test_client().get(f"/api/v1/catalog/export?format={fmt}", headers={
        "Authorization": f"Bearer {app.config['TOKEN']}"})
    assert response.status_code == 200
    return response.data


def to_csv(rows: list[list], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def problems(response) -> list[tuple]:
    """(row, column, message) of each problem of a refused import."""
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "import_rejected" and "không dòng nào được nhập" in error[
        "message"] or error["problems"]
    return [(p["row"], p["column"], p["message"]) for p in error["problems"]]


def snapshot(app) -> dict:
    """What an import could change, to prove a refused one changed nothing."""
    with app.app_context():
        return {
            "products": db.session.scalar(select(func.count(Product.id))),
            "producers": db.session.scalar(select(func.count(Producer.id))),
            "barcodes": db.session.scalar(select(func.count(Barcode.id))),
            "prices": db.session.scalar(select(func.sum(Product.price))),
            "changes": db.session.scalar(select(func.count(PriceChange.id))),
            "version": db.session.scalar(text(
                "SELECT coalesce(max(version), 0) FROM feed_head WHERE name = 'catalog'")),
        }


def new_row(n: int) -> list:
    """A valid new product, all fields, its own EAN-13."""
    return [f"THU-{n:04d}", f"Sản phẩm thử số {n}", f"HTX Thử nghiệm {n % 20}", "cooperative",
            "Nga Sơn", f"Xã {n % 20}", "food", "hộp", 3 + n % 3, 2025, 10_000 + n * 1_000,
            8, 1, ean13_with_check(f"8938888{n:05d}")]


# --- the shipped source file --------------------------------------------------------------


def test_the_shipped_source_file_imports_as_it_is_into_an_empty_catalogue(empty_central):
    response = upload(empty_central, SOURCE.read_bytes(), "ocop-thanh-hoa-products.csv")
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["rows"], result["created"], result["created_inactive"]) == (143, 143, 143)
    rows = list(csv.DictReader(SOURCE.read_text("utf-8").splitlines()))
    with empty_central.app_context():
        products = db.session.scalars(select(Product)).all()
        # No price in the sources: nothing goes on sale before the office prices it.
        assert {(p.price, p.active) for p in products} == {(0, False)}
        assert Counter(p.stars for p in products) == Counter(
            int(r["stars"]) if r["stars"] else None for r in rows)
        assert sorted(p.name for p in products) == sorted(r["name"].strip() for r in rows)
        nameless = db.session.scalars(select(Producer).where(Producer.name == "")).all()
        assert nameless and all(p.commune == "" for p in nameless)
        assert not db.session.scalar(select(func.count(Producer.id)).where(
            Producer.name.like("%chưa công bố%")))
        honey = db.session.scalar(select(Product).where(
            Product.name == "Mật ong hoa rừng đồi bà Chúa Hích"))
        assert (honey.producer.name, honey.producer.district, honey.category,
                honey.certified_year) == ("", "Cẩm Thủy", "food", 2024)
        assert honey.origin_url.startswith("https://vhds.baothanhhoa.vn/")
    again = upload(empty_central, SOURCE.read_bytes()).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 143)


def test_the_source_file_matches_the_demo_catalogue_product_for_product(central):
    before = snapshot(central)
    result = upload(central, SOURCE.read_bytes()).get_json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 143)
    assert snapshot(central) == before  # prices kept, nothing re-versioned


# --- acceptance: 1,000 rows, three bad ----------------------------------------------------


def test_a_thousand_rows_with_three_bad_are_refused_whole_then_the_corrected_file_imports(
        central):
    rows = [new_row(n) for n in range(1, 1001)]
    good_check = rows[249][13]
    rows[249][13] = good_check[:12] + str((int(good_check[12]) + 1) % 10)  # row 251
    rows[599][13] = rows[11][13]                                           # row 601
    rows[899][10] = ""                                                     # row 901
    before = snapshot(central)

    response = upload(central, to_csv(rows))
    assert problems(response) == [
        (251, "barcodes", f"Mã vạch sai số kiểm tra: {rows[249][13]}"),
        (601, "barcodes", f"Mã vạch {rows[11][13]} trùng với dòng 13."),
        (901, "price", "Thiếu giá bán."),
    ]
    assert response.get_json()["error"]["message"] == \
        "Tệp bị từ chối, không dòng nào được nhập: 3 lỗi ở 3 dòng."
    assert snapshot(central) == before

    rows[249][13] = good_check
    rows[599][13] = ean13_with_check("893888800600")
    rows[899][10] = "910.000"
    response = upload(central, to_csv(rows))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["created"], result["created_inactive"], result["price_changes"],
            result["producers_created"]) == (1000, 0, 1000, 20)
    after = snapshot(central)
    assert after["products"] == before["products"] + 1000
    assert after["barcodes"] == before["barcodes"] + 1000
    assert after["version"] > before["version"]  # the booths pull the new products
    with central.app_context():
        product = db.session.scalar(select(Product).join(Barcode).where(
            Barcode.code == good_check))
        assert (product.code, product.price, product.active, product.stars) == (
            "THU-0250", 260_000, True, 3 + 250 % 3)
        assert db.session.scalar(select(Product.price).where(Product.code == "THU-0900")) == \
            910_000
    again = upload(central, to_csv(rows)).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1000)


# --- every kind of bad row ------------------------------------------------------------------


def demo_barcode(app, name: str = "Nước mắm Lê Gia - Cốt đặc biệt 40N") -> tuple[str, str]:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == name))
        return product.barcodes[0].code, product.code


@pytest.mark.parametrize(("change", "column", "message"), [
    ({13: "8936000000005"}, "barcodes", "Mã vạch sai số kiểm tra: 8936000000005"),
    ({13: "12345"}, "barcodes", "Mã vạch không hợp lệ: 12345"),
    ({10: ""}, "price", "Thiếu giá bán."),
    ({10: "-5000"}, "price", "Giá phải là số đồng nguyên dương"),
    ({10: "12,5"}, "price", "Giá phải là số đồng nguyên dương"),
    ({8: "7"}, "stars", "Hạng sao phải là 3, 4 hoặc 5"),
    ({8: "2"}, "stars", "Hạng sao phải là 3, 4 hoặc 5"),
    ({11: "12"}, "vat_rate", "Thuế suất GTGT phải là 0, 5, 8 hoặc 10"),
    ({11: ""}, "vat_rate", "Thiếu thuế suất GTGT"),
    ({6: "vũ khí"}, "category", "Nhóm hàng không hợp lệ: vũ khí"),
    ({3: "tập đoàn"}, "producer_kind", "Loại chủ thể không hợp lệ: tập đoàn"),
    ({9: "1890"}, "year", "Năm công nhận phải từ 2000"),
    ({12: "có lẽ"}, "active", "Trạng thái bán phải là 1 (đang bán) hoặc 0"),
    ({10: "0"}, "active", "chưa có giá bán nên chưa thể đang bán"),
    ({1: ""}, "name", "Không có sản phẩm mã THU-0002; muốn thêm mới thì cần tên sản phẩm."),
    ({0: "mã có dấu"}, "code", "Mã sản phẩm chỉ gồm chữ không dấu"),
    ({7: ""}, "unit", "Thiếu đơn vị tính"),
])
def test_each_bad_value_names_its_row_and_column_and_nothing_is_written(central, change,
                                                                        column, message):
    rows = [new_row(1), new_row(2), new_row(3)]
    for index, value in change.items():
        rows[1][index] = value
    before = snapshot(central)
    found = problems(upload(central, to_csv(rows)))
    assert len(found) == 1 and found[0][:2] == (3, column), found
    assert message in found[0][2], found
    assert snapshot(central) == before


def test_a_barcode_another_product_carries_is_refused_unless_that_product_gives_it_up(
        central):
    code, owner = demo_barcode(central)
    row = new_row(1)
    row[13] = code
    found = problems(upload(central, to_csv([row])))
    assert found == [(2, "barcodes", f"Mã vạch {code} đã gắn với sản phẩm {owner}.")]
    # The same file also moving the code off its owner: then it may change hands.
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.code == owner))
        giver = [owner, product.name, product.producer.name, product.producer.kind,
                 product.producer.district, product.producer.commune, product.category,
                 product.unit, product.stars or "", product.certified_year or "",
                 product.price, product.vat_rate, 1, ""]
    response = upload(central, to_csv([giver, row]))
    assert response.status_code == 200, response.get_json()
    with central.app_context():
        assert db.session.scalar(select(Product.code).join(Barcode).where(
            Barcode.code == code)) == "THU-0001"


def test_the_same_product_twice_in_a_file_is_refused(central):
    found = problems(upload(central, to_csv([new_row(1), new_row(2), new_row(1)])))
    assert found == [(4, "code", "Sản phẩm này đã có ở dòng 2.")]


def test_a_file_without_name_or_code_columns_is_refused(central):
    found = problems(upload(central, to_csv([["3"]], columns=["stars"])))
    assert found[0][0] == 1 and "thiếu cột name" in found[0][2]


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "anh.csv", "không phải CSV"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "bao-cao.xlsx", "không phải CSV"),
    ("name,stars\nChè xanh,4\n".encode("cp1258"), "danh-muc.csv", "không phải CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cu.xls", "Excel 97–2003"),
    (b"", "trong.csv", "Tệp trống"),
    (b"name,stars\r\n", "tieu-de.csv", "không có sản phẩm nào"),
])
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_by_its_content(central, data,
                                                                       filename, message):
    before = snapshot(central)
    found = problems(upload(central, data, filename))
    assert len(found) == 1 and message in found[0][2], found
    assert snapshot(central) == before


def test_a_zip_that_is_not_a_workbook_is_refused(central):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    found = problems(upload(central, out.getvalue(), "tai-lieu.xlsx"))
    assert "không phải CSV" in found[0][2]


def test_an_xlsx_named_csv_is_read_as_xlsx(central):
    response = upload(central, export(central, "xlsx"), "nham-ten.csv")
    assert response.status_code == 200 and response.get_json()["unchanged"] == 143


class CountingStream(io.BytesIO):
    """A request body that remembers how much of it the server read."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.consumed += len(data)
        return data


def big_upload(client, url: str, *, fields: dict | None = None, **kwargs):
    """POST a 50 MB multipart file, streamed (no temporary file in the test)."""
    parts = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     .encode() for k, v in (fields or {}).items())
    body = (parts + b'--B\r\nContent-Disposition: form-data; name="file"; filename="to.csv"'
            b"\r\n\r\nname\n" + b"x" * (50 * 1024 * 1024) + b"\r\n--B--\r\n")
    stream = CountingStream(body)
    response = client.post(url, input_stream=stream, content_length=len(body),
                           content_type="multipart/form-data; boundary=B", **kwargs)
    return response, stream.consumed


def test_a_50_mb_upload_is_refused_with_413_before_it_is_read(central):
    before = snapshot(central)
    response, consumed = big_upload(central.test_client(), "/api/v1/catalog/import", headers={
        "Authorization": f"Bearer {central.config['TOKEN']}"})
    assert response.status_code == 413
    assert consumed == 0
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and "tối đa 10 MB" in error["message"]
    assert snapshot(central) == before


def test_an_import_without_a_file_is_400(central):
    response = central.test_client().post("/api/v1/catalog/import", headers={
        "Authorization": f"Bearer {central.config['TOKEN']}"}, json={})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "file"


# --- export and round trips -----------------------------------------------------------------


def test_the_csv_export_lists_every_product_with_its_facts_and_reads_back_unchanged(central):
    data = export(central, "csv")
    assert data.startswith("\ufeff".encode())  # Excel shows the diacritics
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert len(rows) == 143
    assert list(rows[0]) == ["code", "name", "producer", "producer_kind", "district",
                             "commune", "category", "unit", "stars", "year", "price",
                             "vat_rate", "active", "barcodes", "origin_url"]
    code, product_code = demo_barcode(central)
    row = next(r for r in rows if r["code"] == product_code)
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.code == product_code))
        assert (row["name"], row["producer"], row["price"], row["vat_rate"], row["stars"],
                row["active"], row["barcodes"]) == (
            product.name, product.producer.name, str(product.price), str(product.vat_rate),
            str(product.stars), "1", code)
    result = upload(central, data).get_json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 143)


def test_a_price_edited_in_the_xlsx_export_is_imported_with_its_history(central):
    workbook = openpyxl.load_workbook(io.BytesIO(export(central, "xlsx")))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("barcodes") + 1).data_type == "s"  # text, not a number
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "Nước mắm Tác Huy")
    old = row[header.index("price")].value
    row[header.index("price")].value = 155_000
    row[header.index("stars")].value = 4
    out = io.BytesIO()
    workbook.save(out)
    response = upload(central, out.getvalue(), "gia-moi.xlsx")
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["updated"], result["unchanged"], result["price_changes"]) == (1, 142, 1)
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.name == "Nước mắm Tác Huy"))
        change = db.session.scalar(select(PriceChange).where(
            PriceChange.product_id == product.id))
        assert (product.price, product.stars) == (155_000, 4)
        assert (change.old_price, change.price, change.created_by, change.note) == (
            old, 155_000, "vanphong", "Nhập từ tệp gia-moi.xlsx")


def test_a_file_of_codes_and_prices_changes_prices_only(central):
    _code, product_code = demo_barcode(central)
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.code == product_code))
        facts = (product.name, product.stars, product.active, [b.code for b in
                                                               product.barcodes])
    data = to_csv([[product_code, "199.000 ₫"]], columns=["code", "price"])
    result = upload(central, data).get_json()
    assert (result["updated"], result["price_changes"]) == (1, 1)
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.code == product_code))
        assert product.price == 199_000
        assert (product.name, product.stars, product.active,
                [b.code for b in product.barcodes]) == facts


def test_a_file_without_a_district_column_keeps_each_producer_where_it_is(central):
    name = "Mật ong hoa rừng đồi bà Chúa Hích"  # a nameless producer of Cẩm Thủy
    data = to_csv([[name, "", "4"]], columns=["name", "producer", "stars"])
    result = upload(central, data).get_json()
    assert (result["created"], result["updated"], result["producers_created"]) == (0, 1, 0)
    with central.app_context():
        product = db.session.scalar(select(Product).where(Product.name == name))
        assert (product.stars, product.producer.name, product.producer.district) == (
            4, "", "Cẩm Thủy")


# --- the page -------------------------------------------------------------------------------


def test_the_import_page_shows_the_report_of_a_refused_file_then_the_summary(central):
    client = central.test_client()
    login(client, "vanphong", DEMO_PASSWORD)
    page = client.get("/catalog/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    rows = [new_row(1), new_row(2)]
    rows[1][8] = "9"
    response = client.post("/catalog/import", data={
        "csrf_token": token, "file": (io.BytesIO(to_csv(rows)), "thu.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "không dòng nào được nhập" in html
    assert re.search(r"<td class=\"num\">3</td><td>stars</td><td>Hạng sao phải là 3, 4 hoặc 5",
                     html)
    rows[1][8] = "4"
    response = client.post("/catalog/import", data={
        "csrf_token": token, "file": (io.BytesIO(to_csv(rows)), "thu.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đã nhập 2 dòng từ thu.csv" in html
    assert "Sản phẩm mới: 2" in html


def test_the_import_page_refuses_a_50_mb_upload_with_a_message(central):
    client = central.test_client()
    login(client, "vanphong", DEMO_PASSWORD)
    page = client.get("/catalog/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    before = snapshot(central)
    response, consumed = big_upload(client, "/catalog/import", fields={"csrf_token": token},
                                    headers={"Referer": "/catalog/import"})
    assert (response.status_code, consumed) == (303, 0)
    assert "Tệp quá lớn (50,0 MB): tối đa 10 MB." in client.get(
        "/catalog/import").get_data(as_text=True)
    assert snapshot(central) == before
