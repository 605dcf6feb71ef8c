"""VietQR payloads: a bank app rejects the whole QR if one length or the CRC is off."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.vietqr import build_vietqr, parse_tlv

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
