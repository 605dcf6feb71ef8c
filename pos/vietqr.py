"""VietQR payloads (NAPAS QR switching, EMVCo merchant-presented mode).

Our own ~40-line builder rather than a dependency: the format is small, and the
worked example in ``docs/receipts-research.md`` §5 pins it byte for byte (the same
bytes that PyPI/npm ``vietnam-qr-pay`` produce). Each field is ``ID`` (2 digits),
length (2 decimal digits, counted in characters), value; tag 63 is a CRC-16/CCITT-FALSE
over everything before it *including* the literal ``6304``.
"""

from __future__ import annotations

import binascii
import re
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg

from core.textfold import strip_accents

NAPAS_GUID = "A000000727"
SERVICES = ("QRIBFTTA", "QRIBFTTC")  # transfer to an account / to a card
CURRENCY_VND = "704"
COUNTRY = "VN"
MAX_PURPOSE = 25
MAX_NAME = 25
MAX_CITY = 15
MAX_AMOUNT_DIGITS = 13

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_TLV_HEAD = re.compile(r"[0-9]{4}")
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules

# NAPAS bank identification numbers of the banks a booth is likely to use, so the
# cashier can read the account out to a customer whose app shows no QR camera.
BANK_NAMES = {
    "970405": "Agribank", "970407": "Techcombank", "970415": "VietinBank",
    "970416": "ACB", "970418": "BIDV", "970422": "MB", "970423": "TPBank",
    "970426": "MSB", "970431": "Eximbank", "970432": "VPBank", "970436": "Vietcombank",
    "970437": "HDBank", "970440": "SeABank", "970441": "VIB", "970443": "SHB",
    "970448": "OCB", "970403": "Sacombank", "970449": "LPBank",
}


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"Trường {tag} của VietQR dài quá 99 ký tự")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as 4 uppercase hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def ascii_text(text: str | None, limit: int) -> str:
    """Fold Vietnamese to plain printable ASCII, single-spaced, at most ``limit`` chars.

    Banking apps count the length in characters but the CRC runs over bytes, so
    anything outside ASCII would make the payload contradict itself.
    """
    if not text:
        return ""
    plain = "".join(c for c in strip_accents(text) if " " <= c <= "~" or c.isspace())
    return " ".join(plain.split())[:limit].rstrip()


def build_vietqr(*, bin: str, account: str, amount: int | None, purpose: str | None,
                 name: str | None = None, city: str | None = None,
                 service: str = "QRIBFTTA") -> str:
    """The payload to draw as a QR code so the customer's bank app pre-fills a transfer.

    With ``amount`` the QR is dynamic (tag 01 = ``12``) and the app shows that sum;
    without it the customer types the amount. Raises ``ValueError`` (Vietnamese
    message) for an input a bank app would reject.
    """
    if not isinstance(bin, str) or not _BIN.fullmatch(bin):
        raise ValueError("Mã ngân hàng (BIN) phải gồm đúng 6 chữ số")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise ValueError("Số tài khoản phải gồm 1–19 chữ số hoặc chữ cái không dấu")
    if amount is not None and (
        not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0
        or len(str(amount)) > MAX_AMOUNT_DIGITS
    ):
        raise ValueError("Số tiền phải là số nguyên dương, tối đa 13 chữ số")
    if service not in SERVICES:
        raise ValueError(f"Mã dịch vụ VietQR không hợp lệ: {service}")

    beneficiary = _field("00", bin) + _field("01", account)
    napas = _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", service)
    parts = [
        _field("00", "01"),
        _field("01", "11" if amount is None else "12"),
        _field("38", napas),
        _field("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_field("54", str(amount)))
    parts.append(_field("58", COUNTRY))
    if shown_name := ascii_text(name, MAX_NAME):
        parts.append(_field("59", shown_name))
    if shown_city := ascii_text(city, MAX_CITY):
        parts.append(_field("60", shown_city))
    if shown_purpose := ascii_text(purpose, MAX_PURPOSE):
        parts.append(_field("62", _field("08", shown_purpose)))
    body = "".join(parts) + "6304"
    return body + crc16_ccitt(body)


def parse_tlv(payload: str) -> dict[str, str]:
    """Split one level of EMVCo TLV into ``{tag: value}`` in payload order.

    Nested templates (38, 62) are parsed by calling it again on their value.
    Raises ``ValueError`` on a truncated field or a repeated tag.
    """
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        head = payload[pos:pos + 4]
        if not _TLV_HEAD.fullmatch(head):
            raise ValueError(f"Trường TLV hỏng tại vị trí {pos}")
        tag, length = head[:2], int(head[2:])
        value = payload[pos + 4:pos + 4 + length]
        if len(value) != length:
            raise ValueError(f"Trường {tag} bị cắt cụt")
        if tag in fields:
            raise ValueError(f"Trường {tag} lặp lại")
        fields[tag] = value
        pos += 4 + length
    return fields


def bank_name(bin: str) -> str:
    """The bank's short name for a BIN, or the BIN itself when we do not know it."""
    return BANK_NAMES.get(bin, f"BIN {bin}")


def qr_svg(payload: str) -> str:
    """The payload as a QR code (level M), an SVG drawn by the ``qrcode`` package.

    Drawn on the server so the till needs no encoder of its own; one ``<path>`` with
    a ``viewBox`` in modules (quiet zone included), and no fixed size: the page's CSS
    sizes it.
    """
    code = qrcode.QRCode(error_correction=qrcode.ERROR_CORRECT_M, border=QR_BORDER,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(payload.encode("ascii"), optimize=0)
    code.make(fit=True)
    root = ElementTree.fromstring(code.make_image().to_string())
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("role", "img")
    ElementTree.register_namespace("", "http://www.w3.org/2000/svg")
    return ElementTree.tostring(root, encoding="unicode")


def vietqr_for_till(*, bin: str, account: str, name: str | None, amount: int | None,
                    ref: str | None) -> dict:
    """What the till shows before a transfer: the payload, its QR code as SVG, and the
    account in words (bank, number, holder) for a customer who types it in."""
    payload = build_vietqr(bin=bin, account=account, amount=amount, purpose=ref, name=name)
    return {"payload": payload, "svg": qr_svg(payload), "amount": amount, "ref": ref,
            "bin": bin, "bank_name": bank_name(bin), "account": account,
            "account_name": ascii_text(name, MAX_NAME) or None}
