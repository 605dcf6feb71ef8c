"""General defence against finding 6's kind: no JSON body, however odd, makes a JSON
route of the booth answer 5xx, and every refusal is in the error format; no query
string makes any page or GET route answer 5xx.

Hypothesis builds bodies from the field names the routes read plus arbitrary ones, with
values of every JSON type (huge integers, floats, odd Unicode, nesting), and raw bytes.
The app runs in testing mode, so any unexpected exception fails the test outright.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.extensions import db
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till

FIELDS = ["id", "lines", "payments", "qty", "product_id", "barcode", "unit_price",
          "discount", "discount_percent", "method", "amount", "tendered", "reference",
          "reason", "approved_by", "username", "password", "opening_float", "counted",
          "counted_cash", "note", "kind", "500000", "200000"]
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-3, 3)
           | st.floats(allow_nan=False) | st.text(max_size=20)
           | st.sampled_from(["cash", "card", "transfer", "in", "out", "8936000000004",
                              "2400170000004", "00000000-0000-0000-0000-000000000000"]))
KEYS = st.sampled_from(FIELDS) | st.text(max_size=8)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(KEYS, children, max_size=5), max_leaves=25)
BODIES = st.dictionaries(KEYS, VALUES, max_size=6)
QUERY_ARGS = ["q", "limit", "day", "page", "format", "columns", "amount", "ref", "low", "lang",
              "next"]


def test_no_body_or_query_makes_the_booth_answer_5xx(tmp_path):
    till = make_till(build_app(tmp_path))
    shift = till.open_shift()
    sale = till.sell()
    args = {"id": sale["id"]}
    routes = []
    for rule in till.app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "POST" in rule.methods:
            path = rule.rule.removeprefix("/api/v1")
            for name in rule.arguments:
                value = (shift["id"] if path.startswith("/shifts")
                         else args.get(name, "00000000-0000-4000-8000-000000000000"))
                path = re.sub(rf"<int:{name}>", "1", path)
                path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
            routes.append(path)
    assert len(routes) >= 8, routes

    def check(response, route, body):
        assert response.status_code < 500, (route, body, response.get_data(as_text=True))
        if response.status_code >= 400:
            error = response.get_json()["error"]
            assert {"code", "message"} <= set(error) <= {"code", "message", "field"}

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(route=st.sampled_from(routes), body=BODIES | VALUES,
           who=st.sampled_from(["cashier", "manager"]))
    def json_bodies(route, body, who):
        check(till.post(route, body, who=who), route, body)

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(route=st.sampled_from(routes), raw=st.binary(max_size=200))
    def raw_bodies(route, raw):
        check(till.post(route, raw=raw), route, raw)

    get_routes = sorted({rule.rule for rule in till.app.url_map.iter_rules()
                         if "GET" in rule.methods and rule.endpoint != "static"})
    params = st.dictionaries(st.sampled_from(QUERY_ARGS) | st.text(max_size=5),
                             st.text(max_size=30) | st.integers().map(str), max_size=4)

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(rule=st.sampled_from(get_routes), query=params,
           path_value=st.sampled_from([sale["id"], shift["id"], "1", "0", "-1", "9" * 30,
                                       "%00", "x"]),
           who=st.sampled_from(["cashier", "manager"]))
    def query_strings(rule, query, path_value, who):
        path = re.sub(r"<(?:\w+:)?\w+>", path_value, rule)
        response = till.client.get(path, query_string=query,
                                   headers={"Authorization": f"Bearer {till.tokens[who]}"})
        assert response.status_code < 500, (path, query, response.get_data(as_text=True))

    try:
        json_bodies()
        raw_bodies()
        query_strings()
    finally:
        with till.app.app_context():
            db.engine.dispose()
