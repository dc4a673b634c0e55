"""The JSON API against its own OpenAPI document, with Schemathesis: generated requests for
every operation, with a token holding every scope, never get a 500 and always get an answer
the document describes (status code, content type, body schema)."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ramp.metrics.api import SCOPES, create_token

EXAMPLES = 10
# What the document promises. Not "every schema-valid request is accepted": a record naming
# an agent ramp does not know is valid JSON and still refused (422), as documented.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_as_documented(app, db, make_user):
    _, secret = create_token("schema check", make_user("admin"), scopes=list(SCOPES))
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            case.call_and_validate(headers=bearer, checks=CHECKS)

        answers_as_documented()
