"""Scanned codes: a misread digit must be refused, never sell the wrong product."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from inventory.barcodes import (
    BadBarcode,
    BadCheckDigit,
    BarcodeError,
    Scan,
    ean13_with_check,
    make_instore_code,
    make_price_code,
    parse_scan,
)


def gs1_check(digits: str) -> str:
    """GS1 mod 10 written out here, independent of stdnum: weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize(("raw", "kind"), [
    ("8936048080013", "ean13"),  # brief §6: 893604808001 -> 3 (GS1 Vietnam prefix)
    ("96385074", "ean8"),
    ("036000291452", "upca"),
])
def test_valid_gs1_codes(raw, kind):
    scan = parse_scan(raw)
    assert scan.kind == kind
    assert scan.code == raw
    assert scan.embedded_price is None


@pytest.mark.parametrize("raw", ["8936048080014", "96385075", "036000291453"])
def test_wrong_check_digit_is_refused(raw):
    with pytest.raises(BadCheckDigit) as info:
        parse_scan(raw)
    assert info.value.code == "bad_check_digit"
    assert info.value.status == 422
    assert info.value.message == f"Mã vạch sai số kiểm tra: {raw}"


def test_upca_is_looked_up_in_its_ean13_form():
    """The same can scans as 12 or 13 digits depending on the scanner's setting."""
    assert parse_scan("036000291452").lookup_code == "0036000291452"
    assert parse_scan("0036000291452").lookup_code == "0036000291452"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_12_digits_with_their_check_digit_parse(first12):
    code = first12 + gs1_check(first12)
    assert ean13_with_check(first12) == code
    scan = parse_scan(code)
    assert scan.code == code
    assert scan.kind in {"ean13", "instore", "instore_price"}


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.sampled_from("0123456789"))
def test_any_other_last_digit_is_a_bad_check_digit(first12, last):
    assume(last != gs1_check(first12))
    with pytest.raises(BadCheckDigit):
        parse_scan(first12 + last)


@given(st.sampled_from([7, 11]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)))
def test_ean8_and_upca_check_digits(body):
    good = body + gs1_check(body)
    assert parse_scan(good).kind == ("ean8" if len(good) == 8 else "upca")
    bad = body + str((int(gs1_check(body)) + 1) % 10)
    with pytest.raises(BadCheckDigit):
        parse_scan(bad)


@pytest.mark.parametrize("length", [1, 5, 7, 9, 10, 11, 14, 18, 30])
def test_other_digit_lengths_are_bad_barcodes(length):
    with pytest.raises(BadBarcode) as info:
        parse_scan("1" * length)
    assert info.value.code == "bad_barcode"
    assert info.value.message.startswith("Mã vạch không hợp lệ: ")


def test_price_embedded_example_from_the_brief():
    scan = parse_scan("2400171250002")
    assert scan == Scan(kind="instore_price", code="2400171250002",
                        lookup_code="2400170000004", embedded_price=125_000)
    assert scan.lookup_code == ean13_with_check("240017000000")
    assert make_price_code(17, 125_000) == "2400171250002"
    assert make_price_code(17, 0) == scan.lookup_code


@given(st.integers(0, 9_999), st.integers(0, 999_999))
def test_price_codes_round_trip(item, price):
    code = make_price_code(item, price)
    scan = parse_scan(code)
    assert scan.kind == "instore_price"
    assert scan.embedded_price == price
    assert scan.lookup_code == make_price_code(item, 0)
    assert scan.lookup_code[2:6] == f"{item:04d}"


@given(st.integers(0, 9_999_999_999))
def test_instore_codes_are_unique_and_parse(item):
    code = make_instore_code(item)
    assert code.startswith("20") and int(code[2:12]) == item
    assert parse_scan(code) == Scan(kind="instore", code=code, lookup_code=code)


@pytest.mark.parametrize("prefix", ["21", "22", "23", "25", "29"])
def test_other_restricted_prefixes_are_plain_instore_codes(prefix):
    code = ean13_with_check(prefix + "1234567890")
    assert parse_scan(code).kind == "instore"
    assert parse_scan(code).embedded_price is None


@pytest.mark.parametrize("args", [(-1, 0), (10_000, 0), (1, 1_000_000), (1, -5), (True, 1)])
def test_price_code_arguments_out_of_range(args):
    with pytest.raises(ValueError):
        make_price_code(*args)


@pytest.mark.parametrize("bad", ["12345678901", "12345678901a", 123456789012])
def test_ean13_with_check_needs_12_digits(bad):
    with pytest.raises(ValueError):
        ean13_with_check(bad)


@pytest.mark.parametrize("raw", [
    "8936048080013\r\n",
    "\x028936048080013\x03",
    "\x1d8936048080013\x1d",
    "  8936048080013\t",
    "]E08936048080013",  # AIM symbology identifier
    "\x02]E08936048080013\r",
    "893 6048 08001 3",
])
def test_scanner_noise_is_stripped(raw):
    assert parse_scan(raw).code == "8936048080013"


def test_internal_code128():
    scan = parse_scan("\x02SP-0001\x03\n")
    assert scan == Scan(kind="code128", code="SP-0001", lookup_code="SP-0001")


def test_internal_code_ignores_caps_lock():
    assert parse_scan("sp-0001").lookup_code == "SP-0001"


@pytest.mark.parametrize("raw", [
    "", "   ", "\x02\x03\r\n",
    "Nước mắm",  # not ASCII
    "SP\x000001",  # control character inside
    "SP-" + "0" * 46,  # 49 characters
    "８９３６０４８０８００１３",  # full-width digits
])
def test_garbage_is_a_bad_barcode(raw):
    with pytest.raises(BadBarcode) as info:
        parse_scan(raw)
    assert info.value.message.startswith("Mã vạch không hợp lệ: ")
    assert info.value.field == "barcode"


def test_longest_internal_code_is_accepted():
    assert parse_scan("X" * 48).kind == "code128"


@given(st.text())
def test_any_text_parses_or_raises_a_barcode_error(raw):
    try:
        scan = parse_scan(raw)
    except BarcodeError as err:
        assert err.code in {"bad_barcode", "bad_check_digit"}
        assert err.message.isprintable()
    else:
        assert scan.code.isascii() and scan.code.isprintable()
        assert scan.code == scan.code.strip()
