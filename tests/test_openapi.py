"""The OpenAPI document is made from the schemas that parse the input: every route that
takes a body documents it, and the document describes what the parser refuses."""

from __future__ import annotations

import re

import pytest

from tests.conftest import build_app

WRITES = {"POST", "PUT", "PATCH"}


@pytest.mark.parametrize("role", ["booth", "central"])
def test_every_json_write_route_documents_its_request_body(tmp_path, role):
    app = build_app(tmp_path, role=role)
    spec = app.test_client().get("/api/openapi.json").get_json()
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods & WRITES:
            operation = spec["paths"][path][method.lower()]
            if "requestBody" not in operation and not operation.get("x-no-body"):
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing


def test_the_sale_body_is_the_schema_that_parses_it(tmp_path):
    spec = build_app(tmp_path).test_client().get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/v1/sales"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    sale = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert sale["required"] == ["lines"]
    line = spec["components"]["schemas"]["SaleLineIn"]
    assert line["properties"]["qty"] == {"maximum": 999, "minimum": 1, "title": "Qty",
                                         "type": "integer"}
    assert spec["paths"]["/api/v1/sales/{id}/void"]["post"]["security"][0] == {"bearer": []}
    product = spec["paths"]["/api/v1/products/{product_id}"]["get"]["parameters"][0]
    assert product["schema"]["type"] == "integer"


def test_a_refusal_of_the_schema_is_vietnamese_and_names_the_field(tmp_path):
    """A 422 from the declared schema reads like the rest of the API."""
    from tests.pos.test_counter_support import make_till

    till = make_till(build_app(tmp_path))
    till.open_shift()
    product = till.products[0]
    cases = [
        ({"lines": [{"product_id": product["id"], "qty": 1000}]}, "lines[0].qty", "invalid",
         "lines[0].qty tối đa là 999."),
        ({"lines": [{"product_id": product["id"]}]}, "lines[0].qty", "required",
         "Thiếu trường lines[0].qty."),
        ({"lines": [{"product_id": product["id"], "qty": 1}], "reason": 5}, "reason",
         "invalid_type", "reason phải là chuỗi ký tự."),
        ({"lines": [{"product_id": product["id"], "qty": 1}],
          "approved_by": {"username": "quanly"}}, "approved_by.password", "required",
         "Thiếu trường approved_by.password."),
    ]
    for body, field, code, message in cases:
        error = till.post("/sales", body).get_json()["error"]
        assert (error["field"], error["code"], error["message"]) == (field, code, message)
    closing = till.post("/shifts/none/close", {"counted": {"300000": 1}}).get_json()
    assert closing["error"]["field"] == "counted.300000"
