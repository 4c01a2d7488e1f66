"""The HTTP API's failures: a bug is a one-line 500 with no traceback, library errors keep
their kind, and a stream that fails ends with a failed event."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from assistant.errors import EndpointError
from assistant.serve.http_api import make_app
from assistant.serve.shared import Served
from assistant.settings import load_settings
from tests.unit.test_service import ScriptedAnswerer, make


def client(answerer: ScriptedAnswerer) -> TestClient:
    served = Served(load_settings(), assistant=make(answerer))
    return TestClient(make_app(served), raise_server_exceptions=False)


def test_a_bug_is_a_one_line_500_without_a_traceback() -> None:
    response = client(ScriptedAnswerer(["x"], error=ZeroDivisionError("boom"))).post(
        "/v1/ask", json={"question": "Where?"}
    )
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "kind": "internal",
            "message": "internal error (the server's log has the details)",
        }
    }
    assert "Traceback" not in response.text and "boom" not in response.text


def test_an_endpoint_failure_is_a_502_with_its_message() -> None:
    response = client(
        ScriptedAnswerer(["x"], error=EndpointError("the model endpoint is down"))
    ).post("/v1/ask", json={"question": "Where?"})
    assert response.status_code == 502
    assert response.json()["error"] == {"kind": "endpoint", "message": "the model endpoint is down"}


def test_a_bug_inside_a_stream_ends_it_with_a_failed_event() -> None:
    with client(ScriptedAnswerer(["In "], error=ZeroDivisionError("boom"))).stream(
        "POST", "/v1/ask/stream", json={"question": "Where?"}
    ) as response:
        body = response.read().decode()
    events = [line[6:].strip() for line in body.splitlines() if line.startswith("event:")]
    assert events[0] == "retrieved" and events[-1] == "failed"
    failed = json.loads(body.strip().splitlines()[-1][5:])
    assert failed["error"]["kind"] == "internal" and "boom" not in body


def test_every_library_error_kind_has_its_own_status() -> None:
    import assistant.errors as errors
    from assistant.serve.http_api import STATUS

    kinds = {
        cls.kind
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.AssistantError)
        and cls is not errors.AssistantError
    }
    assert kinds - set(STATUS) == set()


def test_an_index_another_data_dir_owns_is_a_409() -> None:
    from assistant.errors import StoreConflictError

    response = client(
        ScriptedAnswerer(["x"], error=StoreConflictError("the collection belongs to /other"))
    ).post("/v1/ask", json={"question": "Where?"})
    assert response.status_code == 409
    assert response.json()["error"]["kind"] == "store-conflict"
