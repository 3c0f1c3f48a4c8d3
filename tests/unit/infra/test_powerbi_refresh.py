"""The Power BI refresh task against a local HTTP server on 127.0.0.1 that answers as Microsoft documents:

- token: Microsoft identity platform client-credentials flow (POST /{tenant}/oauth2/v2.0/token ->
  {"access_token", "token_type"});
- "Datasets - Refresh Dataset In Group" (POST .../groups/{groupId}/datasets/{datasetId}/refreshes ->
  202 Accepted, header RequestId);
- "Datasets - Get Refresh History In Group" (GET .../refreshes?$top=1 -> {"value": [Refresh]}, where a
  Refresh has refreshType, startTime, endTime, status and, on failure, serviceExceptionJson; status is
  Unknown while in progress, then Completed, Failed or Disabled).
  https://learn.microsoft.com/rest/api/power-bi/datasets/get-refresh-history-in-group
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from infra.powerbi import PowerBITarget, RefreshFailed, RefreshTimedOut, refresh_dataset

OURS, EARLIER = "req-9", "req-earlier"
FAILURE = '{"errorCode":"ModelRefreshFailed_CredentialsNotSpecified"}'


def entry(request_id: str, status: str, **extra) -> dict:
    times = {"startTime": "2026-12-03T08:00:00Z"} | (
        {} if status == "Unknown" else {"endTime": "2026-12-03T08:04:00Z"}
    )
    return {"refreshType": "ViaApi", "status": status, "requestId": request_id, **times, **extra}


class PowerBIService(BaseHTTPRequestHandler):
    """Answers token and refresh requests; each history GET pops the next scripted entry (last repeats)."""

    calls: list[tuple[str, str, dict, bytes]] = []
    history: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        PowerBIService.calls.append(("POST", self.path, dict(self.headers), body))
        if self.path.endswith("/oauth2/v2.0/token"):
            self._json({"access_token": "tok-123", "token_type": "Bearer"})
        else:
            self.send_response(202)
            self.send_header("RequestId", OURS)
            self.end_headers()

    def do_GET(self):  # noqa: N802
        PowerBIService.calls.append(("GET", self.path, dict(self.headers), b""))
        history = PowerBIService.history
        self._json({"value": [history.pop(0) if len(history) > 1 else history[0]]})

    def _json(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    PowerBIService.calls = []
    server = HTTPServer(("127.0.0.1", 0), PowerBIService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class FakeTime:
    """sleep() advances clock(): the waits run instantly and are recorded."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def target(api: str, **waits) -> PowerBITarget:
    return PowerBITarget(
        "app-id", "s3cret", "tenant-1", "group-2", "dataset-3", login_url=api, api_url=api, **waits
    )


def test_no_connection_is_a_logged_no_op():
    assert "skipped" in refresh_dataset(None)


def test_refresh_starts_then_polls_until_the_service_reports_completed(api):
    PowerBIService.history = [entry(EARLIER, "Completed"), entry(OURS, "Unknown"), entry(OURS, "Completed")]
    fake = FakeTime()
    message = refresh_dataset(target(api, poll_s=15), sleep=fake.sleep, clock=fake.clock)

    assert "dataset-3 completed (request req-9" in message
    (token, start, *polls) = PowerBIService.calls
    assert token[1] == "/tenant-1/oauth2/v2.0/token"
    form = dict(urllib.parse.parse_qsl(token[3].decode()))
    assert form["grant_type"] == "client_credentials" and form["client_secret"] == "s3cret"
    assert form["scope"] == "https://analysis.windows.net/powerbi/api/.default"
    assert start[:2] == ("POST", "/groups/group-2/datasets/dataset-3/refreshes")
    assert json.loads(start[3]) == {"notifyOption": "NoNotification"}
    assert [(method, path) for method, path, _, _ in polls] == [
        ("GET", "/groups/group-2/datasets/dataset-3/refreshes?$top=1")
    ] * 3, "an earlier refresh in the history is not ours: keep polling"
    assert all(headers["Authorization"] == "Bearer tok-123" for _, _, headers, _ in polls)
    assert fake.slept == [15, 15]


@pytest.mark.parametrize("status", ["Failed", "Disabled"])
def test_a_refresh_the_service_did_not_complete_fails_the_task_with_its_error(api, status):
    PowerBIService.history = [entry(OURS, "Unknown"), entry(OURS, status, serviceExceptionJson=FAILURE)]
    fake = FakeTime()
    with pytest.raises(
        RefreshFailed, match=f"dataset-3 {status}: .*ModelRefreshFailed_CredentialsNotSpecified"
    ):
        refresh_dataset(target(api), sleep=fake.sleep, clock=fake.clock)


def test_the_wait_is_bounded(api):
    PowerBIService.history = [entry(OURS, "Unknown")]
    fake = FakeTime()
    with pytest.raises(RefreshTimedOut, match="still Unknown after 100s"):
        refresh_dataset(target(api, wait_s=100, poll_s=30), sleep=fake.sleep, clock=fake.clock)
    assert fake.slept == [30, 30, 30, 30] and fake.now >= 100
    assert sum(method == "GET" for method, *_ in PowerBIService.calls) == 5


def test_a_connection_missing_ids_says_which():
    class Connection:
        conn_id, login, password, extra_dejson = "powerbi_default", "app", "secret", {"tenant_id": "t"}

    with pytest.raises(ValueError, match="lacks group_id, dataset_id"):
        PowerBITarget.from_connection(Connection())


def test_the_connection_can_bound_the_wait():
    class Connection:
        conn_id, login, password = "powerbi_default", "app", "secret"
        extra_dejson = {"tenant_id": "t", "group_id": "g", "dataset_id": "d", "refresh_wait_s": "600"}

    made = PowerBITarget.from_connection(Connection())
    assert (made.wait_s, made.poll_s) == (600.0, 20.0)
