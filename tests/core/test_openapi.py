"""The committed OpenAPI document is the application's, and documents every route fully."""

import json
from pathlib import Path
from typing import Any

import pytest

from cma.core.settings import Settings
from cma.main import create_app

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def generated(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, verb, operation)
        for path, item in document["paths"].items()
        for verb, operation in item.items()
    ]


def test_the_committed_document_is_up_to_date(generated: dict[str, Any]) -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))

    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_a_summary_a_tag_and_its_errors(generated: dict[str, Any]) -> None:
    for path, verb, operation in _operations(generated):
        assert operation.get("summary"), f"{verb} {path} has no summary"
        assert operation.get("tags"), f"{verb} {path} has no tag"
        errors = [code for code in operation["responses"] if not code.startswith("2")]
        assert errors, f"{verb} {path} documents no error response"
        for code in errors:
            content = operation["responses"][code].get("content", {})
            assert "application/problem+json" in content, f"{verb} {path} {code}"


def test_every_request_body_has_an_example(generated: dict[str, Any]) -> None:
    schemas = generated["components"]["schemas"]
    for path, verb, operation in _operations(generated):
        body = operation.get("requestBody")
        if body is None:
            continue
        for media in body["content"].values():
            ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
            schema = schemas[ref]
            has_example = "examples" in schema or all(
                "examples" in prop or "$ref" in prop or "allOf" in prop
                for prop in schema["properties"].values()
            )
            assert has_example, f"{verb} {path}: {ref} has no example"


def test_the_contract_paths_of_the_design_are_there(generated: dict[str, Any]) -> None:
    verbs = {(path, verb) for path, verb, _ in _operations(generated)}
    for path, verb in [
        ("/api/v1/captchas", "post"),
        ("/api/v1/captchas/{captcha_id}/image", "get"),
        ("/api/v1/captchas/{captcha_id}/audio", "get"),
        ("/api/v1/accounts", "post"),
        ("/api/v1/accounts/activation", "post"),
        ("/api/v1/accounts/activation/resend", "post"),
        ("/api/v1/sessions", "post"),
        ("/api/v1/sessions/current", "delete"),
        ("/api/v1/token", "post"),
        ("/api/v1/password-resets", "post"),
        ("/api/v1/password-resets/confirm", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "delete"),
        ("/api/v1/me/profile", "get"),
        ("/api/v1/me/profile", "put"),
        ("/api/v1/me/password", "put"),
        ("/api/v1/me/email", "post"),
        ("/api/v1/me/subscriptions", "get"),
        ("/api/v1/me/subscriptions", "put"),
        ("/api/v1/me/export", "get"),
        ("/api/v1/health", "get"),
    ]:
        assert (path, verb) in verbs, f"{verb.upper()} {path} is missing"
    signup = generated["components"]["schemas"]["SignupRequest"]["properties"]
    assert set(signup) == {
        "email",
        "password",
        "password_confirmation",
        "mobile_phone",
        "accept_terms",
        "accept_information",
        "captcha_id",
        "captcha_answer",
    }
