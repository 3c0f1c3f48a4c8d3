"""Ask the Power BI REST API to refresh the shelfwise dataset once reorder_predictions has published, and wait
for the refresh to finish: the task fails when the service reports the refresh failed.

The credentials come from an Airflow connection (`powerbi_default`: login = the Entra app's client id,
password = its secret, extra = tenant_id, group_id, dataset_id, optionally refresh_wait_s / poll_s). With no
connection it is a no-op that says so, so a fresh install without Power BI runs the same DAGs.

Endpoints (Power BI REST, Datasets): "Refresh Dataset In Group" (POST .../refreshes, 202 Accepted, the refresh
named by the RequestId header) and "Get Refresh History In Group" (GET .../refreshes?$top=1), whose entries
carry `status`: Unknown while in progress, then Completed, Failed or Disabled, with the service's error in
`serviceExceptionJson`.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOGIN_URL = "https://login.microsoftonline.com"
API_URL = "https://api.powerbi.com/v1.0/myorg"
SCOPE = "https://analysis.windows.net/powerbi/api/.default"
IN_PROGRESS = "Unknown"


class RefreshFailed(RuntimeError):
    """The service finished the refresh without completing it (Failed or Disabled)."""


class RefreshTimedOut(RuntimeError):
    """The refresh was still in progress when the wait ran out."""


@dataclass(frozen=True)
class PowerBITarget:
    """Which dataset to refresh and as whom. `login_url`/`api_url` only change for sovereign clouds;
    `wait_s` bounds how long the task waits for the refresh, `poll_s` how often it asks."""

    client_id: str
    client_secret: str
    tenant_id: str
    group_id: str
    dataset_id: str
    login_url: str = LOGIN_URL
    api_url: str = API_URL
    wait_s: float = 1800.0
    poll_s: float = 20.0

    @classmethod
    def from_connection(cls, connection) -> PowerBITarget:
        extra = connection.extra_dejson
        missing = [k for k in ("tenant_id", "group_id", "dataset_id") if not extra.get(k)]
        if missing or not connection.login or not connection.password:
            raise ValueError(
                f"Airflow connection {connection.conn_id!r} lacks {', '.join(missing) or 'login/password'}"
            )
        urls = {k: extra[k] for k in ("login_url", "api_url") if extra.get(k)}
        waits = {
            field: float(extra[key])
            for field, key in (("wait_s", "refresh_wait_s"), ("poll_s", "poll_s"))
            if extra.get(key)
        }
        return cls(
            connection.login,
            connection.password,
            extra["tenant_id"],
            extra["group_id"],
            extra["dataset_id"],
            **urls,
            **waits,
        )

    @property
    def refreshes_url(self) -> str:
        return f"{self.api_url}/groups/{self.group_id}/datasets/{self.dataset_id}/refreshes"


def refresh_dataset(
    target: PowerBITarget | None,
    timeout_s: float = 30,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Start a refresh and wait until the service completes it; returns what happened in one line (also
    logged). Raises RefreshFailed with the service's error, or RefreshTimedOut after `target.wait_s`."""
    if target is None:
        message = "Power BI refresh skipped: no Airflow connection 'powerbi_default' is configured"
        log.info(message)
        return message
    token = _token(target, timeout_s)
    request_id = _start_refresh(target, token, timeout_s)
    log.info("Power BI refresh of dataset %s accepted (request %s)", target.dataset_id, request_id or "n/a")
    refresh = _wait_for_refresh(target, token, request_id, timeout_s, sleep, clock)
    if refresh["status"] != "Completed":
        raise RefreshFailed(
            f"Power BI refresh of dataset {target.dataset_id} {refresh['status']}: "
            f"{refresh.get('serviceExceptionJson') or 'the service gave no error'}"
        )
    message = (
        f"Power BI refresh of dataset {target.dataset_id} completed "
        f"(request {request_id or 'n/a'}, {refresh.get('startTime')} to {refresh.get('endTime')})"
    )
    log.info(message)
    return message


def _start_refresh(target: PowerBITarget, token: str, timeout_s: float) -> str:
    body = json.dumps({"notifyOption": "NoNotification"}).encode()
    request = urllib.request.Request(target.refreshes_url, data=body, method="POST", headers=_auth(token))
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # raises on 4xx/5xx
        return response.headers.get("RequestId", "")


def _wait_for_refresh(target, token, request_id, timeout_s, sleep, clock) -> dict:
    """Poll the newest refresh-history entry until ours (same requestId, when the service named it) ends."""
    deadline = clock() + target.wait_s
    while True:
        latest = _latest_refresh(target, token, timeout_s)
        ours = latest is not None and (not request_id or latest.get("requestId") == request_id)
        if ours and latest["status"] != IN_PROGRESS:
            return latest
        if clock() >= deadline:
            state = latest["status"] if ours else "not listed yet"
            raise RefreshTimedOut(
                f"Power BI refresh of dataset {target.dataset_id} still {state} after {target.wait_s:.0f}s"
            )
        sleep(target.poll_s)


def _latest_refresh(target: PowerBITarget, token: str, timeout_s: float) -> dict | None:
    request = urllib.request.Request(target.refreshes_url + "?$top=1", headers=_auth(token))
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        entries = json.load(response).get("value", [])
    return entries[0] if entries else None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _token(target: PowerBITarget, timeout_s: float) -> str:
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": target.client_id,
            "client_secret": target.client_secret,
            "scope": SCOPE,
        }
    ).encode()
    url = f"{target.login_url}/{target.tenant_id}/oauth2/v2.0/token"
    with urllib.request.urlopen(
        urllib.request.Request(url, data=form, method="POST"), timeout=timeout_s
    ) as response:
        return json.load(response)["access_token"]


def refresh_from_airflow(conn_id: str = "powerbi_default") -> str:
    """The Airflow task body: look the connection up (absent means skip) and refresh."""
    from airflow.exceptions import AirflowNotFoundException  # lazy: airflow ~0.8 s, only in the Airflow task
    from airflow.sdk import BaseHook  # lazy: airflow ~0.8 s, only in the Airflow task

    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return refresh_dataset(None)
    return refresh_dataset(PowerBITarget.from_connection(connection))
