"""Fraud signals per cashier: every count, amount, rate, norm and flag checked against a
recomputation in plain Python over central's raw rows; the drill-down lists exactly the
receipts behind each figure."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from tests.central.test_reports import SECOND, get, raw_rows, scenario

SIGNALS = ("voids", "refunds", "discounts", "overrides")


def expected_signals(raw: dict, start, end, booth: str | None = None) -> dict:
    """Per (booth, cashier): the figures by the rules the page states, in plain Python."""
    out: dict = defaultdict(lambda: defaultdict(int))
    numbers: dict = defaultdict(list)
    sales = raw["sales"]
    for sale in sales.values():
        if not start <= sale["day"] <= end or (booth and sale["booth"] != booth):
            continue
        if sale["kind"] == "sale":
            who = (sale["booth"], raw["users"][sale["cashier_id"]])
            out[who]["sales"] += 1
            out[who]["sales_amount"] += sale["total"]
            numbers[who + ("sales",)].append(sale["number"])
            if sale["status"] == "voided":
                out[who]["voids"] += 1
                out[who]["voids_amount"] += sale["total"]
                numbers[who + ("voids",)].append(sale["number"])
            elif sale["discount_total"] > 0:
                out[who]["discounts"] += 1
                out[who]["discounts_amount"] += sale["discount_total"]
                numbers[who + ("discounts",)].append(sale["number"])
        elif sale["status"] == "completed":
            original = sales[sale["refund_of_id"]]
            who = (sale["booth"], raw["users"][original["cashier_id"]])
            out[who]["refunds"] += 1
            out[who]["refunds_amount"] += sale["total"]
            numbers[who + ("refunds",)].append(sale["number"])
    for line in raw["lines"]:
        sale = sales[line["sale_id"]]
        if (sale["kind"] != "sale" or sale["status"] != "completed"
                or not start <= sale["day"] <= end or (booth and sale["booth"] != booth)
                or line["unit_price"] == line["catalog_price"]):
            continue
        who = (sale["booth"], raw["users"][sale["cashier_id"]])
        out[who]["overrides"] += 1
        out[who]["overrides_amount"] += (line["catalog_price"] - line["unit_price"]) * line["qty"]
        numbers[who + ("overrides",)].append(sale["number"])
    totals: dict = defaultdict(lambda: defaultdict(int))
    for (booth_code, _cashier), f in out.items():
        for name, value in f.items():
            totals[booth_code][name] += value
    for (booth_code, _cashier), f in out.items():
        flags = []
        for signal in SIGNALS:
            rate = f[signal] / f["sales"] if f["sales"] else None
            norm = (totals[booth_code][signal] / totals[booth_code]["sales"]
                    if totals[booth_code]["sales"] else None)
            f[f"{signal}_rate"], f[f"{signal}_norm"] = rate, norm
            if rate is not None and norm and rate > 2 * norm:
                flags.append(signal)
        f["flags"] = flags
    return {"figures": out, "numbers": numbers}


def _approx(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None
                                         and abs(a - b) < 1e-4)


def test_every_cashier_figure_matches_a_recomputation(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    start, end = s["yesterday"], s["today"]
    body = get(pair.central, "/api/v1/reports/cashiers", **{
        "from": start.isoformat(), "to": end.isoformat()}).get_json()
    want = expected_signals(raw, start, end)["figures"]
    got = {(r["booth"], r["cashier"]): r for r in body["rows"]}
    assert set(got) == set(want) == {("COOP-01", "thungan.coop-01"), ("COOP-01", SECOND)}
    for who, f in want.items():
        row = got[who]
        for name in ("sales", "sales_amount") + SIGNALS + tuple(f"{s}_amount" for s in SIGNALS):
            assert row[name] == f[name], (who, name)
        for signal in SIGNALS:
            assert _approx(row[f"{signal}_rate"], f[f"{signal}_rate"]), (who, signal)
            assert _approx(row[f"{signal}_norm"], f[f"{signal}_norm"]), (who, signal)
        assert row["flags"] == f["flags"], who
    # not vacuous: every signal happened, and someone stands out
    assert all(sum(f[signal] for f in want.values()) for signal in SIGNALS)
    assert any(f["flags"] for f in want.values())
    assert "no-sale" in body["not_recorded"]


def test_one_day_counts_only_that_days_shifts(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    today = s["today"]
    body = get(pair.central, "/api/v1/reports/cashiers", booth="COOP-01", **{
        "from": today.isoformat(), "to": today.isoformat()}).get_json()
    want = expected_signals(raw, today, today, "COOP-01")["figures"]
    assert {(r["booth"], r["cashier"]): (r["sales"], r["voids"], r["refunds"])
            for r in body["rows"]} == \
        {who: (f["sales"], f["voids"], f["refunds"]) for who, f in want.items()}
    assert get(pair.central, "/api/v1/reports/cashiers", booth="COOP-02").get_json()["rows"] == []


def test_drill_down_lists_the_receipts_behind_each_figure(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    start, end = s["yesterday"], s["today"]
    numbers = expected_signals(raw, start, end)["numbers"]
    params = {"from": start.isoformat(), "to": end.isoformat()}
    for cashier in ("thungan.coop-01", SECOND):
        for signal in ("sales",) + SIGNALS:
            body = get(pair.central, f"/api/v1/reports/cashiers/{cashier}/{signal}",
                       **params).get_json()
            assert sorted(r["number"] for r in body["rows"]) == \
                sorted(numbers[("COOP-01", cashier, signal)]), (cashier, signal)
    overrides = get(pair.central, f"/api/v1/reports/cashiers/{SECOND}/overrides",
                    **params).get_json()["rows"]
    assert all(r["unit_price"] != r["catalog_price"] and r["approved_by"] == "quanly.coop-01"
               for r in overrides)
    exported = get(pair.central, f"/reports/cashiers/{SECOND}/voids", format="csv", **params)
    table = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert table[0][0] == "Số hóa đơn"
    assert sorted(r[0] for r in table[1:]) == sorted(numbers[("COOP-01", SECOND, "voids")])


def test_the_page_links_every_figure_and_says_what_is_not_recorded(pair):
    s = scenario(pair)
    params = {"from": s["yesterday"].isoformat(), "to": s["today"].isoformat()}
    page = get(pair.central, "/reports/cashiers", **params)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "no-sale" in html and "⚠" in html
    for signal in ("sales",) + SIGNALS:
        assert f"/reports/cashiers/{SECOND}/{signal}?" in html, signal
    sorted_page = get(pair.central, "/reports/cashiers", sort="voids_rate", dir="desc",
                      **params).get_data(as_text=True)
    assert sorted_page.index(f'data-cashier="{SECOND}"') < \
        sorted_page.index('data-cashier="thungan.coop-01"')
    drill = get(pair.central, f"/reports/cashiers/{SECOND}/voids", **params)
    assert drill.status_code == 200 and "Bấm nhầm" in drill.get_data(as_text=True)
    assert get(pair.central, "/reports/cashiers/nobody/voids").status_code == 404
