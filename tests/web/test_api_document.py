"""The served OpenAPI document is valid OpenAPI 3.1 and generated from the declared operations."""

from openapi_spec_validator import validate

from ramp.blueprints.api.spec import OPERATIONS
from ramp.metrics.api import SCOPES


def test_the_served_document_is_valid_openapi(client, db):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert set(doc["x-scopes"]) == set(SCOPES)
    operations = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    assert operations == {endpoint.removeprefix("api.") for endpoint in OPERATIONS}


def test_bodies_and_answers_come_from_the_models(client, db):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    qa = doc["paths"]["/records/qa"]["post"]
    batch = qa["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert batch == "#/components/schemas/QAEvaluationBatch"
    records = schemas["QAEvaluationBatch"]["properties"]["records"]
    assert (records["minItems"], records["maxItems"]) == (1, 10_000)
    assert set(schemas["QAEvaluationRecord"]["required"]) == {"external_id", "evaluated_at"}
    hire = doc["paths"]["/hires/{hire_id}"]["get"]
    assert hire["parameters"] == [
        {
            "name": "hire_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        }
    ]
    ok = hire["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/HireDetail"}
    assert "milestones" in schemas["HireDetail"]["required"]
    upload = doc["paths"]["/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["required"] == ["file"]
    # No pages of its own: the document is the only thing served without a token.
    assert not any("swagger" in p or "redoc" in p for p in doc["paths"])
