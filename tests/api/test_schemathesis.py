"""The API against its own OpenAPI document: generated requests, valid and invalid, never get a
5xx, and every response matches the document (status code, content type, schema).

Bounded (max_examples per operation and mode) so that the whole suite stays fast. The
operations are listed here, and a test checks the list against the document, so that a new
route cannot escape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests import factories
from tests.factories import make_ticket

OPERATIONS = [
    ("GET", "/api/v1/articles/search"),
    ("GET", "/api/v1/articles/suggest"),
    ("POST", "/api/v1/articles"),
    ("GET", "/api/v1/articles/{article_id}"),
    ("PATCH", "/api/v1/articles/{article_id}"),
    ("GET", "/api/v1/articles/{article_id}/revisions"),
    ("POST", "/api/v1/articles/{article_id}/votes"),
    ("POST", "/api/v1/articles/deflections"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/municipalities"),
    ("GET", "/api/v1/queues"),
    ("GET", "/api/v1/sla/compliance"),
    ("GET", "/api/v1/tickets"),
    ("POST", "/api/v1/tickets"),
    ("GET", "/api/v1/tickets/{ref}"),
    ("GET", "/api/v1/tickets/{ref}/access-log"),
    ("POST", "/api/v1/tickets/{ref}/assign"),
    ("POST", "/api/v1/tickets/{ref}/category"),
    ("POST", "/api/v1/tickets/{ref}/system"),
    ("POST", "/api/v1/tickets/{ref}/attachments"),
    ("GET", "/api/v1/tickets/{ref}/attachments/{attachment_id}"),
    ("POST", "/api/v1/tickets/{ref}/claim"),
    ("POST", "/api/v1/tickets/{ref}/deviations"),
    ("POST", "/api/v1/tickets/{ref}/escalate"),
    ("POST", "/api/v1/tickets/{ref}/messages"),
    ("POST", "/api/v1/tickets/{ref}/move"),
    ("POST", "/api/v1/tickets/{ref}/priority"),
    ("POST", "/api/v1/tickets/{ref}/send-back"),
    ("POST", "/api/v1/tickets/{ref}/sms"),
    ("POST", "/api/v1/tickets/{ref}/status"),
    ("GET", "/api/v1/users/{email}/access-log"),
    # training
    ("POST", "/api/v1/courses"),
    ("POST", "/api/v1/courses/{course_id}/sessions"),
    ("GET", "/api/v1/sessions/{session_id}"),
    ("POST", "/api/v1/sessions/{session_id}/enrolments"),
    ("DELETE", "/api/v1/sessions/{session_id}/enrolments/me"),
    ("POST", "/api/v1/sessions/{session_id}/attendance"),
    ("GET", "/api/v1/sessions/{session_id}/calendar.ics"),
    ("GET", "/api/v1/nabohjelp"),
    ("POST", "/api/v1/nabohjelp"),
    ("GET", "/api/v1/courses"),
    ("GET", "/api/v1/courses/{course_id}"),
    ("GET", "/api/v1/courses/{course_id}/sessions"),
    ("GET", "/api/v1/courses/{course_id}/materials"),
    ("POST", "/api/v1/courses/{course_id}/materials/pages"),
    ("POST", "/api/v1/courses/{course_id}/materials/files"),
    ("POST", "/api/v1/courses/{course_id}/materials/articles"),
    ("GET", "/api/v1/materials/{material_id}"),
    ("POST", "/api/v1/materials/{material_id}/pages"),
    ("POST", "/api/v1/materials/{material_id}/files"),
    ("GET", "/api/v1/materials/{material_id}/versions/{version}"),
    ("GET", "/api/v1/materials/{material_id}/versions/{version}/file"),
    ("PATCH", "/api/v1/sessions/{session_id}"),
    ("POST", "/api/v1/sessions/{session_id}/cancel"),
    ("GET", "/api/v1/sessions/{session_id}/enrolments"),
    ("GET", "/api/v1/sessions/{session_id}/enrolments.csv"),
    ("DELETE", "/api/v1/sessions/{session_id}/enrolments/{participant}"),
    ("GET", "/api/v1/me/courses"),
    ("GET", "/api/v1/me/municipality/enrolments"),
    ("GET", "/api/v1/roster"),
    ("POST", "/api/v1/roster"),
    ("DELETE", "/api/v1/roster/{entry_id}"),
    ("GET", "/api/v1/nabohjelp/figures"),
    ("POST", "/api/v1/tickets/{ref}/nabohjelp"),
]
MAX_EXAMPLES = 25


def test_the_list_covers_every_operation_in_the_document(app) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    found = sorted(
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    )
    assert found == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_never_fails_and_matches_its_document(app, world, method, path, mode) -> None:  # type: ignore[no-untyped-def]
    # Real cases, so that some generated requests reach the services rather than a 404.
    ticket = make_ticket(world.employee)
    make_ticket(world.lun_employee)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Unknown query parameters are ignored on purpose (a tolerant reader; `lang` picks the
    # language on every route), so requests that only add one are not schema violations here.
    schema.config.generation.update(allow_extra_parameters=False)
    operation = schema[path][method]
    # Valid requests as an admin (who may do everything, so most reach a 2xx and its schema);
    # invalid ones as a first-line agent.
    user = world.admin if mode is GenerationMode.POSITIVE else world.agent
    headers = {"Authorization": f"Bearer {factories.token_for(user)}"}
    path_parameters = {"ref": ticket.ref} if "{ref}" in path and mode is GenerationMode.POSITIVE else None

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        # Valid by the document yet refused is fine when it depends on data (an unknown queue,
        # a stale cursor, a requester who does not exist): those answer a clear 400.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()
