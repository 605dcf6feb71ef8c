"""Every route, every role: the expected 200/401/403, and deny by default."""

from __future__ import annotations

import pytest
from flask import Flask

from core.extensions import db
from core.services import create_token
from tests.conftest import FAST_HASH, build_app

PUBLIC = "public"
BOOTH_CREDENTIAL = "booth-credential"  # a booth's sync token, never a person's
EVERYONE = {"cashier", "manager", "office", "admin"}
OFFICE = {"office", "admin"}
BOOTH_STAFF = {"cashier", "manager", "admin"}
MANAGERS = {"manager", "admin"}

# Who may call each endpoint. A new route must be added here, on purpose.
BOTH_ROLES = {
    "web.login": PUBLIC,
    "web.logout": EVERYONE,
    "web.home": EVERYONE,
    "web.favicon": PUBLIC,
    "static_unversioned": PUBLIC,  # a static file by its path without this release's hash
    "api.health": PUBLIC,
    "api.openapi": PUBLIC,
    "api.me": EVERYONE,
}
EXPECTED = {
    "booth": BOTH_ROLES | {
        "inventory.catalog": EVERYONE,
        "pos.cashier": BOOTH_STAFF,
        "inventory_api.list_products": EVERYONE,
        "inventory_api.get_product": EVERYONE,
        "inventory_api.product_by_barcode": EVERYONE,
        "inventory_api.stock": EVERYONE,
        "inventory_api.stock_moves": MANAGERS,
        "inventory_api.set_reorder_point": MANAGERS,
        "inventory_api.create_adjustment": MANAGERS,
        "inventory.stock_page": MANAGERS,
        "inventory.stock_moves_page": MANAGERS,
        "inventory.reorder_point_page": MANAGERS,
        "inventory.adjustment_page": MANAGERS,
        "receipts_api.sale_receipt": BOOTH_STAFF,
        "receipts_api.print_sale": BOOTH_STAFF,
        "receipts_api.shift_zreport": BOOTH_STAFF,
        "receipts_api.print_zreport": BOOTH_STAFF,
        "receipts_api.printer_status": BOOTH_STAFF,
        "receipts_api.retry_print_job": BOOTH_STAFF,
        "receipts.receipt_png": BOOTH_STAFF,
        "counter_api.open_shift": BOOTH_STAFF,
        "counter_api.current_shift": BOOTH_STAFF,
        "counter_api.move_cash": BOOTH_STAFF,
        "counter_api.shift_report": BOOTH_STAFF,
        "counter_api.close_shift": BOOTH_STAFF,
        "counter_api.create_sale": BOOTH_STAFF,
        "counter_api.get_sale": BOOTH_STAFF,
        "counter_api.refund_sale": MANAGERS,
        "counter_api.void_sale": MANAGERS,
        "counter_api.vietqr": BOOTH_STAFF,
        "receipts.labels": MANAGERS,
        "sales.list_sales": BOOTH_STAFF,
        "sales.show_sale": BOOTH_STAFF,
        "sales.refund_sale_page": MANAGERS,
        "sales.void_sale_page": MANAGERS,
        "sales.reprint_page": BOOTH_STAFF,
        "sales.export_sales": BOOTH_STAFF,
        "sales.shifts_page": BOOTH_STAFF,
        "sales.shift_page": BOOTH_STAFF,
        "sales.print_shift_page": BOOTH_STAFF,
        "home.booth_home": MANAGERS,
        "receipts.save_printer_settings_page": MANAGERS,
        "receipts.printer": MANAGERS,
        "audit.audit_log": MANAGERS,
        "receipts.selftest": MANAGERS,
        "receipts.retry_job_page": MANAGERS,
        "sync_booth_api.booth_sync_status": EVERYONE,
        "sync_booth_api.booth_sync_now": MANAGERS,
        "sync_booth_api.booth_transfers": MANAGERS,
        "sync_booth_api.booth_receive_transfer": MANAGERS,
        "sync.status_page": BOOTH_STAFF,
        "sync.run_now": MANAGERS,
        "sync.transfers_page": MANAGERS,
        "sync.receive_page": MANAGERS,
        "counts_api.start_stocktake": MANAGERS,
        "counts_api.take_stocktake": MANAGERS,
        "counts_api.get_stocktake": BOOTH_STAFF,
        "counts_api.record_counts": BOOTH_STAFF,
        "counts_api.stocktake_differences": MANAGERS,
        "counts_api.commit_stocktake": MANAGERS,
        "counts_api.expiring_lots": MANAGERS,
        "counts_api.write_off_lot": MANAGERS,
        "counts_api.restock_suggestions": MANAGERS,
        "counts_api.list_restock_requests": MANAGERS,
        "counts_api.create_restock_request": MANAGERS,
        "counts.stocktakes_page": MANAGERS,
        "counts.start_stocktake_page": MANAGERS,
        "counts.stocktake_page": BOOTH_STAFF,
        "counts.save_counts": BOOTH_STAFF,
        "counts.count_sheet": BOOTH_STAFF,
        "counts.differences_page": MANAGERS,
        "counts.commit_page": MANAGERS,
        "counts.lots_page": MANAGERS,
        "counts.write_off_page": MANAGERS,
        "counts.restock_page": MANAGERS,
        "counts.create_restock_page": MANAGERS,
    },
    "central": BOTH_ROLES | {
        "central.booths": OFFICE,
        "central_api.list_booths": OFFICE,
        "sync_api.push_events": BOOTH_CREDENTIAL,
        "sync_api.pull_catalog": BOOTH_CREDENTIAL,
        "sync_api.pull_transfers": BOOTH_CREDENTIAL,
        "sync_api.list_epochs": BOOTH_CREDENTIAL,
        "sync_api.list_own_events": BOOTH_CREDENTIAL,
        "sync_office_api.office_booth_health": OFFICE,
        "sync_office_api.office_review_events": OFFICE,
        "sync_office.review_page": OFFICE,
        "cockpit_api.reconciliation": OFFICE,
        "cockpit.cockpit_page": OFFICE,
        "cockpit.shift_page": OFFICE,
        "cockpit_api.bank_statement": OFFICE,
        "cockpit.bank_page": OFFICE,
        "catalog_api.list_products": OFFICE,
        "catalog_api.create_product": OFFICE,
        "catalog_api.get_product": OFFICE,
        "catalog_api.update_product": OFFICE,
        "catalog_api.add_barcode": OFFICE,
        "catalog_api.remove_barcode": OFFICE,
        "catalog_api.price_history": OFFICE,
        "catalog_api.change_price": OFFICE,
        "catalog_api.list_producers": OFFICE,
        "catalog_api.create_producer": OFFICE,
        "catalog_api.get_producer": OFFICE,
        "catalog_api.update_producer": OFFICE,
        "catalog_api.export_catalog": OFFICE,
        "catalog_api.import_catalog": OFFICE,
        "catalog.products_page": OFFICE,
        "catalog.new_product_page": OFFICE,
        "catalog.create_product_page": OFFICE,
        "catalog.product_page": OFFICE,
        "catalog.update_product_page": OFFICE,
        "catalog.set_active_page": OFFICE,
        "catalog.add_barcode_page": OFFICE,
        "catalog.remove_barcode_page": OFFICE,
        "catalog.change_price_page": OFFICE,
        "catalog.producers_page": OFFICE,
        "catalog.new_producer_page": OFFICE,
        "catalog.create_producer_page": OFFICE,
        "catalog.producer_page": OFFICE,
        "catalog.update_producer_page": OFFICE,
        "catalog.import_page": OFFICE,
        "catalog.import_upload": OFFICE,
        "warehouse_api.create_consignment": OFFICE,
        "warehouse_api.list_transfers": OFFICE,
        "warehouse_api.ship": OFFICE,
        "warehouse_api.get_transfer_report": OFFICE,
        "reports_api.sales": OFFICE,
        "reports_api.top_products": OFFICE,
        "reports_api.stock_cover": OFFICE,
        "reports_api.ocop": OFFICE,
        "reports_api.cashiers": OFFICE,
        "reports_api.cashier_signal": OFFICE,
        "reports.sales_page": OFFICE,
        "reports.top_page": OFFICE,
        "reports.cover_page": OFFICE,
        "reports.ocop_page": OFFICE,
        "reports.cashiers_page": OFFICE,
        "reports.cashier_signal_page": OFFICE,
        "warehouse.warehouse_page": OFFICE,
        "warehouse.ship_page": OFFICE,
        "warehouse.transfers_page": OFFICE,
        "settlements_api.list_settlements": OFFICE,
        "settlements_api.create_settlement": OFFICE,
        "settlements_api.get_settlement": OFFICE,
        "settlements_api.pay_settlement": OFFICE,
        "settlements_api.list_terms": OFFICE,
        "settlements_api.create_commission_term": OFFICE,
        "settlements_api.create_host_term": OFFICE,
        "settlements_api.list_producer_returns": OFFICE,
        "settlements_api.create_producer_return": OFFICE,
        "settlements.settlements_page": OFFICE,
        "settlements.save_settlement_page": OFFICE,
        "settlements.settlement_page": OFFICE,
        "settlements.pay_settlement_page": OFFICE,
        "settlements.terms_page": OFFICE,
        "settlements.add_commission_term_page": OFFICE,
        "settlements.add_host_term_page": OFFICE,
        "settlements.returns_page": OFFICE,
        "settlements.create_return_page": OFFICE,
    },
}
SAMPLE_ARGS = {"product_id": 1, "code": "8936000000004", "id": 1,
               "shift_id": "00000000-0000-4000-8000-000000000000",
               "transfer_id": "00000000-0000-4000-8000-000000000000",
               "stocktake_id": "00000000-0000-4000-8000-000000000000", "lot_id": 1,
               "producer_id": 1, "username": "thungan.coop-01", "signal": "voids",
               "filename": "app.css"}


def _tokens(app: Flask) -> dict[str, str]:
    from core.models import User
    from pos.demo import seed_demo

    tokens = {}
    with app.app_context():
        seed_demo(db.session, booth_code="COOP-01", hash_method=FAST_HASH)
        admin = User(username="quantri", role="admin", password_hash="x")
        db.session.add(admin)
        db.session.flush()
        users = {"cashier": "thungan.coop-01", "manager": "quanly.coop-01",
                 "office": "vanphong", "admin": "quantri"}
        for role, name in users.items():
            user = db.session.scalar(db.select(User).where(User.username == name))
            tokens[role] = create_token(db.session, user=user)[1]
        db.session.commit()
    return tokens


def _requests(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build({arg: SAMPLE_ARGS[arg] for arg in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url, bool(rule.arguments)


@pytest.mark.parametrize("role", ["booth", "central"])
def test_every_route_answers_each_role_as_declared(tmp_path, role):
    app = build_app(tmp_path, role=role, OCOP_VIETQR_BIN="970436",
                    OCOP_VIETQR_ACCOUNT="0011001234567")
    tokens = _tokens(app)
    client = app.test_client()
    served = {endpoint for endpoint, *_ in _requests(app)}
    assert served == set(EXPECTED[role]), "routes and the access table disagree"

    for endpoint, method, url, has_args in _requests(app):
        allowed = EXPECTED[role][endpoint]
        is_api = url.startswith("/api/")
        anonymous = client.open(url, method=method)
        if allowed == BOOTH_CREDENTIAL:
            assert anonymous.status_code == 401, (endpoint, method)
            for who, token in tokens.items():  # a person's token is no booth's credential
                response = client.open(url, method=method, json={} if method != "GET" else None,
                                       headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 401, (endpoint, method, who)
                assert response.get_json()["error"]["code"] == "bad_sync_token"
            continue
        if allowed == PUBLIC:
            assert anonymous.status_code not in (401, 403), (endpoint, method)
        elif is_api:
            assert anonymous.status_code == 401, (endpoint, method)
        else:
            assert anonymous.status_code == 302 and "/login" in anonymous.location, endpoint
        for who, token in tokens.items():
            response = client.open(url, method=method, json={} if method != "GET" else None,
                                   headers={"Authorization": f"Bearer {token}"})
            if allowed == PUBLIC or who in allowed:
                assert response.status_code not in (401, 403), (endpoint, method, who)
                if method == "GET" and not has_args:
                    assert response.status_code in (200, 302), (endpoint, who)
            else:
                assert response.status_code == 403, (endpoint, method, who)
                if is_api:
                    assert response.get_json()["error"]["code"] == "forbidden"



def test_a_view_without_declared_roles_is_refused_to_everyone(tmp_path):
    app = build_app(tmp_path)
    tokens = _tokens(app)

    @app.get("/api/v1/forgotten")
    def forgotten():
        return {"secret": True}

    client = app.test_client()
    for token in tokens.values():
        response = client.get("/api/v1/forgotten", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403


def _more_tokens(app: Flask) -> dict[str, str]:
    """Tokens of another booth's cashier and manager, and a revoked one of this booth."""
    from core.models import Booth, User
    from core.services import revoke_token

    tokens = {}
    with app.app_context():
        other = db.session.scalar(db.select(Booth).where(Booth.code == "COOP-02"))
        for role in ("cashier", "manager"):
            user = User(username=f"{role}.coop-02", role=role, booth=other,
                        password_hash="x")
            db.session.add(user)
            db.session.flush()
            tokens[f"other booth {role}"] = create_token(db.session, user=user)[1]
        cashier = db.session.scalar(db.select(User).where(User.username == "thungan.coop-01"))
        revoked, plain = create_token(db.session, user=cashier)
        revoke_token(db.session, prefix=revoked.prefix)
        tokens["revoked"] = plain
        db.session.commit()
    return tokens


@pytest.mark.parametrize("role", ["booth", "central"])
def test_every_route_refuses_other_booths_and_revoked_tokens(tmp_path, role):
    """The booth column of the matrix: another booth's staff are refused on every route
    of a booth as its sign-in page refuses them (401 ``wrong_booth``), and a revoked
    token is refused everywhere (401 ``bad_token``), public routes included."""
    app = build_app(tmp_path, role=role, OCOP_VIETQR_BIN="970436",
                    OCOP_VIETQR_ACCOUNT="0011001234567")
    _tokens(app)
    tokens = _more_tokens(app)
    client = app.test_client()
    for endpoint, method, url, _has_args in _requests(app):
        allowed = EXPECTED[role][endpoint]
        for who, token in tokens.items():
            response = client.open(url, method=method, json={} if method != "GET" else None,
                                   headers={"Authorization": f"Bearer {token}"})
            if allowed == BOOTH_CREDENTIAL:  # no person's token, live or revoked, is one
                expected = (401, "bad_sync_token")
            elif who == "revoked":
                expected = (401, "bad_token")
            elif role == "booth":
                expected = (401, "wrong_booth")
            elif allowed == PUBLIC or who.split()[-1] in allowed:
                expected = None
            else:
                expected = (403, "forbidden")
            if expected is None:
                assert response.status_code not in (401, 403), (endpoint, method, who)
                continue
            assert response.status_code == expected[0], (endpoint, method, who)
            if url.startswith("/api/"):
                assert response.get_json()["error"]["code"] == expected[1], (endpoint, who)
