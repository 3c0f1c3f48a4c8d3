"""The Power BI refresh call, against a local HTTP server that answers like the token and REST endpoints."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from infra.powerbi import PowerBITarget, refresh_dataset


class Recorder(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.calls.append((self.path, dict(self.headers), body))
        if self.path.endswith("/oauth2/v2.0/token"):
            payload = json.dumps({"access_token": "tok-123", "token_type": "Bearer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.send_response(202)
            self.send_header("RequestId", "req-9")
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    Recorder.calls = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_no_connection_is_a_logged_no_op():
    assert "skipped" in refresh_dataset(None)


def test_refresh_gets_a_token_then_posts_to_the_dataset(api):
    target = PowerBITarget("app-id", "s3cret", "tenant-1", "group-2", "dataset-3", login_url=api, api_url=api)
    message = refresh_dataset(target)

    assert "dataset-3 accepted (request req-9)" in message
    (token_path, _, token_body), (refresh_path, headers, refresh_body) = Recorder.calls
    assert token_path == "/tenant-1/oauth2/v2.0/token"
    form = dict(urllib.parse.parse_qsl(token_body.decode()))
    assert form["grant_type"] == "client_credentials" and form["client_secret"] == "s3cret"
    assert form["scope"] == "https://analysis.windows.net/powerbi/api/.default"
    assert refresh_path == "/groups/group-2/datasets/dataset-3/refreshes"
    assert headers["Authorization"] == "Bearer tok-123"
    assert json.loads(refresh_body) == {"notifyOption": "NoNotification"}


def test_a_connection_missing_ids_says_which():
    class Connection:
        conn_id, login, password, extra_dejson = "powerbi_default", "app", "secret", {"tenant_id": "t"}

    with pytest.raises(ValueError, match="lacks group_id, dataset_id"):
        PowerBITarget.from_connection(Connection())
