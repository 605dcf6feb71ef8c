"""The cashier screen draws VietQR codes with pos/static/pos/qr.js; check it against `qrcode`.

A QR code that a bank app cannot read only shows up at the till, so the hand-written
encoder is compared module for module with the Python reference at every error
correction level, across version boundaries and with every mask.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import qrcode
import qrcode.base
from qrcode.util import MODE_8BIT_BYTE, QRData

QR_JS = Path(__file__).resolve().parent.parent / "pos" / "static" / "pos" / "qr.js"
LEVELS = {"L": qrcode.ERROR_CORRECT_L, "M": qrcode.ERROR_CORRECT_M,
          "Q": qrcode.ERROR_CORRECT_Q, "H": qrcode.ERROR_CORRECT_H}
VIETQR = ("00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
          "530370454066600005802VN62210817Thanh toan HD00016304C3C2")

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


def encode_in_node(cases: list[dict]) -> list[dict]:
    script = (
        f"const qr = require({json.dumps(str(QR_JS))});"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(c => qr.encode(c.text, c))));"
    )
    done = subprocess.run(["node", "-e", script], input=json.dumps(cases), text=True,
                          capture_output=True, check=True)
    return json.loads(done.stdout)


def reference(text: str, ecl: str, mask: int) -> tuple[int, list[list[bool]]]:
    qr = qrcode.QRCode(error_correction=LEVELS[ecl], border=0, mask_pattern=mask)
    qr.add_data(QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE))
    qr.make(fit=True)
    return qr.version, [[bool(m) for m in row] for row in qr.modules]


def byte_capacity(version: int, ecl: str) -> int:
    """Bytes that fit in byte mode, from the reference's own block table."""
    blocks = qrcode.base.rs_blocks(version, LEVELS[ecl])
    bits = sum(b.data_count for b in blocks) * 8 - 4 - (8 if version <= 9 else 16)
    return bits // 8


def filler(n: int, seed: int) -> str:
    """Deterministic varied ASCII, so Reed-Solomon sees more than one repeated byte."""
    return "".join(chr(32 + (seed * 31 + i * 7919) % 95) for i in range(n))


def cases() -> list[dict]:
    """Every version at every level, filled to capacity; plus the payloads we really draw."""
    out = [{"text": t, "ecl": "M", "mask": i}
           for i, t in enumerate([VIETQR, "a", "Thanh toán HĐ0001 — Nước mắm"])]
    for j, ecl in enumerate(LEVELS):
        for version in range(1, 41):
            n = byte_capacity(version, ecl)
            out.append({"text": filler(n, version), "ecl": ecl, "mask": (version + j) % 8,
                        "version": version})
    return out


def test_matches_python_qrcode_at_every_level_and_version():
    wanted = cases()
    for case, got in zip(wanted, encode_in_node(wanted), strict=True):
        version, modules = reference(case["text"], case["ecl"], case["mask"])
        assert version == case.get("version", version)
        assert (got["version"], got["mask"]) == (version, case["mask"]), case
        assert got["modules"] == modules, case


def test_every_mask_on_the_vietqr_payload():
    wanted = [{"text": VIETQR, "ecl": "M", "mask": m} for m in range(8)]
    for case, got in zip(wanted, encode_in_node(wanted), strict=True):
        assert got["modules"] == reference(VIETQR, "M", case["mask"])[1]


def test_automatic_mask_gives_a_standard_code():
    (got,) = encode_in_node([{"text": VIETQR, "ecl": "M"}])
    assert got["modules"] == reference(VIETQR, "M", got["mask"])[1]
