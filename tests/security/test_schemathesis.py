"""schemathesis over every operation of the booth's and central's OpenAPI documents:
bodies built from the very schemas that parse them, valid and invalid, sent with a
manager's (booth) or the office's (central) bearer token, and the booth's sync token on
central's sync routes. No answer is a 5xx, and every answer is the one the document
describes (the error format for every refusal).

Few examples per operation, derandomized, so CI gives the same answer every time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from core.extensions import db
from core.models import User
from core.services import create_token
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till
from tests.sync.conftest import make_central, register

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance]
SETTINGS = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def booth(tmp_path_factory):
    """A seeded booth with an open shift and one sale, and a manager's token."""
    till = make_till(build_app(tmp_path_factory.mktemp("st-booth")))
    till.open_shift(who="manager")
    till.sell(who="manager")
    yield till.app, {"user": till.tokens["manager"], "sync": ""}
    with till.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    """Central with the demo, the office's token and a booth's sync token."""
    app = make_central(tmp_path_factory.mktemp("st-central"))
    sync_token = register(app)
    with app.app_context():
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        office_token = create_token(db.session, user=office)[1]
        db.session.commit()
    yield app, {"user": office_token, "sync": sync_token}
    with app.app_context():
        db.engine.dispose()


def _explore(operation, mode, token: str):
    """A Hypothesis test of one operation in one mode. Answers come uncompressed: the
    in-process client does not undo the gzip a browser would."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    return check


def _run(app, tokens: dict) -> None:
    """Every operation, positive and negative examples; all failures reported at once."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:
        if operation.method.upper() == "GET" and not operation.path_parameters:
            modes = (GenerationMode.POSITIVE,)  # nothing to make invalid
        else:
            modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        token = (tokens["sync"] if operation.definition.raw.get("x-roles")
                 == "booth-credential" else tokens["user"])
        for mode in modes:
            try:
                _explore(operation, mode, token)()
            except (Exception, ExceptionGroup) as err:  # collected, reported together
                failures.append(f"{operation.label} [{mode.value}]: {str(err)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_the_booth_api_never_answers_5xx_nor_off_its_document(booth):
    _run(*booth)


def test_central_api_never_answers_5xx_nor_off_its_document(central):
    _run(*central)
