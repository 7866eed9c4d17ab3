"""The OpenAPI document's error responses: every error an operation can answer is declared, with
the one error shape (``ERROR_SCHEMA``), so that clients and schemathesis can rely on it."""

from __future__ import annotations

from typing import Any

from app.api.errors import ERROR_SCHEMA

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (the error names the field)",
    "401": "No valid bearer token",
    "403": "Your role may not do this to a case you can see",
    "404": "No such case, or not yours to see",
    "409": "Someone else changed it at the same time",
    "413": "The body or file is over the configured limit",
    "415": "Send JSON or multipart/form-data",
}


def _error_response(code: str) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def complete_spec(spec: dict[str, Any] | str) -> dict[str, Any] | str:
    """Declare the errors every API operation may answer, and use one shared error schema."""
    if isinstance(spec, str):  # SPEC_FORMAT yaml: nothing to add to
        return spec
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            wanted = {"400"}  # bad text in the query string or path is refused everywhere
            if operation.get("security") is not None or "401" in responses:
                wanted.add("401")
            if "{" in path:
                wanted.add("404")
            if method in ("post", "put", "patch"):
                wanted.update({"413", "415"})
            for code in sorted(wanted | {c for c in responses if c in ERROR_DESCRIPTIONS}):
                previous = responses.get(code, {})
                response = _error_response(code)
                if previous.get("description"):
                    response["description"] = previous["description"]
                responses[code] = response
    return spec
