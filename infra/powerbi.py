"""Ask the Power BI REST API to refresh the shelfwise dataset once reorder_predictions has published.

The credentials come from an Airflow connection (`powerbi_default`: login = the Entra app's client id,
password = its secret, extra = tenant_id, group_id, dataset_id). With no connection it is a no-op that says
so, so a fresh install without Power BI runs the same DAGs.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOGIN_URL = "https://login.microsoftonline.com"
API_URL = "https://api.powerbi.com/v1.0/myorg"
SCOPE = "https://analysis.windows.net/powerbi/api/.default"


@dataclass(frozen=True)
class PowerBITarget:
    """Which dataset to refresh and as whom. `login_url`/`api_url` only change for sovereign clouds."""

    client_id: str
    client_secret: str
    tenant_id: str
    group_id: str
    dataset_id: str
    login_url: str = LOGIN_URL
    api_url: str = API_URL

    @classmethod
    def from_connection(cls, connection) -> PowerBITarget:
        extra = connection.extra_dejson
        missing = [k for k in ("tenant_id", "group_id", "dataset_id") if not extra.get(k)]
        if missing or not connection.login or not connection.password:
            raise ValueError(
                f"Airflow connection {connection.conn_id!r} lacks {', '.join(missing) or 'login/password'}"
            )
        urls = {k: extra[k] for k in ("login_url", "api_url") if extra.get(k)}
        return cls(
            connection.login,
            connection.password,
            extra["tenant_id"],
            extra["group_id"],
            extra["dataset_id"],
            **urls,
        )


def refresh_dataset(target: PowerBITarget | None, timeout_s: float = 30) -> str:
    """Start a refresh; returns what happened in one line (also logged)."""
    if target is None:
        message = "Power BI refresh skipped: no Airflow connection 'powerbi_default' is configured"
        log.info(message)
        return message
    token = _token(target, timeout_s)
    url = f"{target.api_url}/groups/{target.group_id}/datasets/{target.dataset_id}/refreshes"
    body = json.dumps({"notifyOption": "NoNotification"}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # raises on 4xx/5xx
        request_id = response.headers.get("RequestId", "")
    message = f"Power BI refresh of dataset {target.dataset_id} accepted (request {request_id or 'n/a'})"
    log.info(message)
    return message


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
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return refresh_dataset(None)
    return refresh_dataset(PowerBITarget.from_connection(connection))
