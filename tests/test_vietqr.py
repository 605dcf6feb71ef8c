"""VietQR payloads: a bank app rejects the whole QR if one length or the CRC is off; and the
QR code the till shows, drawn on the server, must read back as exactly that payload."""

import re
from xml.etree import ElementTree

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from pos.vietqr import QR_BORDER, bank_name, build_vietqr, parse_tlv, qr_svg
from tests.pos.test_counter_support import till  # noqa: F401

# docs/receipts-research.md §5, cross-checked there against two independent libraries.
EXAMPLE = ("00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
           "530370454066600005802VN62210817Thanh toan HD00016304C3C2")
EXAMPLE_STATIC = ("00020101021138570010A00000072701270006970436011300110012345670208QRIBFTTA"
                  "53037045802VN6304E8DB")
ACCOUNT = {"bin": "970436", "account": "0011001234567"}


def crc16_ccitt_false(data: bytes) -> int:
    """Bitwise CRC-16/CCITT-FALSE, independent of the module's binascii shortcut."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def assert_valid_emvco(payload: str) -> dict[str, str]:
    """The field rules a bank app checks; returns the top-level fields."""
    assert payload.isascii() and payload.isprintable()
    fields = parse_tlv(payload)
    tags = list(fields)
    assert tags[:2] == ["00", "01"], "payload format and method come first"
    assert tags[-1] == "63", "the CRC is the last field"
    assert tags == sorted(tags), "fields in ascending tag order"
    assert fields["00"] == "01"
    assert fields["53"] == "704" and fields["58"] == "VN"
    assert fields["01"] == ("12" if "54" in fields else "11")
    napas = parse_tlv(fields["38"])
    assert list(napas) == ["00", "01", "02"]
    assert napas["00"] == "A000000727"
    beneficiary = parse_tlv(napas["01"])
    assert len(beneficiary["00"]) == 6 and beneficiary["00"].isdigit()
    assert 1 <= len(beneficiary["01"]) <= 19
    if "54" in fields:
        assert fields["54"].isdigit() and len(fields["54"]) <= 13
    if "62" in fields:
        assert len(parse_tlv(fields["62"])["08"]) <= 25
    assert len(fields["63"]) == 4
    assert payload[-8:-4] == "6304"
    assert fields["63"] == f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    return fields


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_worked_example_byte_for_byte():
    payload = build_vietqr(**ACCOUNT, amount=660_000, purpose="Thanh toan HD0001")
    assert payload == EXAMPLE
    fields = assert_valid_emvco(payload)
    assert fields["54"] == "660000"
    assert parse_tlv(fields["62"]) == {"08": "Thanh toan HD0001"}


def test_static_example_byte_for_byte():
    payload = build_vietqr(**ACCOUNT, amount=None, purpose=None)
    assert payload == EXAMPLE_STATIC
    assert "54" not in assert_valid_emvco(payload)


def test_vietnamese_purpose_is_folded_to_ascii():
    payload = build_vietqr(**ACCOUNT, amount=660_000, purpose="Thanh toán HĐ0001")
    assert payload == EXAMPLE


def test_purpose_is_capped_at_25_characters_and_emoji_dropped():
    payload = build_vietqr(**ACCOUNT, amount=125_000,
                           purpose="Đặc sản Thanh Hóa 🎉 nem chua, bánh gai Tứ Trụ")
    purpose = parse_tlv(assert_valid_emvco(payload)["62"])["08"]
    assert purpose == "Dac san Thanh Hoa nem chu"


def test_empty_purpose_after_folding_omits_tag_62():
    assert "62" not in parse_tlv(build_vietqr(**ACCOUNT, amount=1000, purpose="🎉"))


def test_name_and_city_are_optional_ascii_fields():
    payload = build_vietqr(**ACCOUNT, amount=50_000, purpose="HD1",
                           name="Điểm bán OCOP Sầm Sơn", city="Thanh Hóa")
    fields = assert_valid_emvco(payload)
    assert fields["59"] == "Diem ban OCOP Sam Son"
    assert fields["60"] == "Thanh Hoa"


def test_card_service():
    payload = build_vietqr(**ACCOUNT, amount=None, purpose=None, service="QRIBFTTC")
    assert parse_tlv(assert_valid_emvco(payload)["38"])["02"] == "QRIBFTTC"


@pytest.mark.parametrize("overrides", [
    {"bin": "97043"}, {"bin": "97043a"}, {"bin": "9704366"},
    {"account": ""}, {"account": "0" * 20}, {"account": "0011-001"}, {"account": "tài"},
    {"amount": 0}, {"amount": -1}, {"amount": 10**13}, {"amount": 12.5}, {"amount": True},
    {"amount": "1000"},
    {"service": "QRPUSH"},
])
def test_invalid_inputs_raise_with_a_vietnamese_message(overrides):
    args = {**ACCOUNT, "amount": 1000, "purpose": "HD1"} | overrides
    with pytest.raises(ValueError) as info:
        build_vietqr(**args)
    assert not str(info.value).isascii(), "a Vietnamese message, with diacritics"


def test_largest_amount_is_13_digits():
    payload = build_vietqr(**ACCOUNT, amount=10**13 - 1, purpose=None)
    assert assert_valid_emvco(payload)["54"] == "9" * 13


@pytest.mark.parametrize("broken", ["0102", "00050101", "0002010002"])
def test_parse_tlv_rejects_broken_payloads(broken):
    with pytest.raises(ValueError):
        parse_tlv(broken)


@given(
    bin=st.text("0123456789", min_size=6, max_size=6),
    account=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    min_size=1, max_size=19),
    amount=st.none() | st.integers(1, 10**13 - 1),
    purpose=st.none() | st.text(),
    name=st.none() | st.text(),
    city=st.none() | st.text(),
)
def test_any_valid_input_gives_a_well_formed_payload(bin, account, amount, purpose, name, city):
    payload = build_vietqr(bin=bin, account=account, amount=amount, purpose=purpose,
                           name=name, city=city)
    fields = assert_valid_emvco(payload)
    assert parse_tlv(parse_tlv(fields["38"])["01"]) == {"00": bin, "01": account}
    assert fields.get("54") == (None if amount is None else str(amount))


# --- the QR code the till shows, drawn on the server ----------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z")


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The side of the drawing in modules and its dark modules, read from the SVG."""
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    x0, y0, width, height = (int(v) for v in root.get("viewBox").split())
    assert (x0, y0) == (0, 0) and width == height
    (path,) = root.iter(f"{SVG_NS}path")
    dark = set()
    for match in SQUARE.finditer(path.get("d")):
        x, y, x1, y1, back = (int(v) for v in match.groups())
        assert (x1 - x, y1 - y, back) == (1, 1, x), "one module per square"
        dark.add((x, y))
    assert len("".join(m.group(0) for m in SQUARE.finditer(path.get("d")))) == len(path.get("d"))
    return width, dark


def decode(svg: str) -> str:
    """Rasterise the SVG's modules and read them back with a QR decoder (zxing-cpp)."""
    side, dark = svg_modules(svg)
    scale = 6
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in dark:
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found.text


@pytest.mark.parametrize("amount,purpose", [(660_000, "Thanh toan HD0001"), (None, None),
                                            (10**13 - 1, "OCOP" + "X" * 40)])
def test_svg_reads_back_as_the_payload(amount, purpose):
    payload = build_vietqr(**ACCOUNT, amount=amount, purpose=purpose, name="Điểm bán OCOP")
    svg = qr_svg(payload)
    assert decode(svg) == payload
    assert_valid_emvco(decode(svg))
    side, dark = svg_modules(svg)
    version = (side - 2 * QR_BORDER - 17) // 4
    assert side == 2 * QR_BORDER + 17 + 4 * version and 1 <= version <= 10
    # The quiet zone is empty and the three finder patterns sit in their corners.
    inner = range(QR_BORDER, side - QR_BORDER)
    assert all(x in inner and y in inner for x, y in dark)
    for cx, cy in ((QR_BORDER, QR_BORDER), (side - QR_BORDER - 7, QR_BORDER),
                   (QR_BORDER, side - QR_BORDER - 7)):
        ring = {(cx + i, cy) for i in range(7)} | {(cx, cy + i) for i in range(7)}
        assert ring <= dark


def test_bank_names_for_the_account_line():
    assert bank_name("970436") == "Vietcombank"
    assert bank_name("970418") == "BIDV"
    assert bank_name("999999") == "BIN 999999"


def test_till_endpoint_returns_the_account_and_the_drawing(till):  # noqa: F811
    till.app.config.update(OCOP_VIETQR_BIN="970436", OCOP_VIETQR_ACCOUNT="0011001234567",
                           OCOP_VIETQR_NAME="Gian hàng OCOP Thanh Hóa")
    response = till.get("/vietqr?amount=125000&ref=OCOPAB12CD34")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["bank_name"], data["account"], data["account_name"]) == (
        "Vietcombank", "0011001234567", "Gian hang OCOP Thanh Hoa")
    fields = assert_valid_emvco(data["payload"])
    assert fields["54"] == "125000" and fields["59"] == data["account_name"]
    assert decode(data["svg"]) == data["payload"]
