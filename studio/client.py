"""The Label Studio connection: the SDK client (its own retries off) and one retry policy, ours."""
from __future__ import annotations

import json
import logging
import time
from typing import Callable, TypeVar

import httpx
import requests
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

log = logging.getLogger(__name__)
T = TypeVar("T")


class StudioUnavailable(RuntimeError):
    """Label Studio did not answer after all retries."""


def _transient(exc: Exception) -> bool:
    if isinstance(exc, (httpx.TransportError, requests.ConnectionError, requests.Timeout)):
        return True
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(exc, (ApiError, requests.HTTPError)) and (status is None or status >= 500)


def with_retries(call: Callable[[], T], what: str, attempts: int = 6, delay: float = 1.0) -> T:
    """Run ``call``, retrying transient failures with exponential backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if not _transient(exc):
                raise
            if attempt == attempts:
                raise StudioUnavailable(f"{what}: Label Studio did not answer after {attempts} tries "
                                        f"({type(exc).__name__})") from exc
            log.warning("%s failed (%s: %s), retry %d/%d in %.0f s", what, type(exc).__name__,
                        str(exc)[:200], attempt, attempts - 1, delay)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


class Studio:
    """A Label Studio connection: the SDK client plus a plain HTTP session for bulk reads."""

    def __init__(self, url: str, api_key: str, timeout: float = 120.0):
        if not api_key:
            raise ValueError("no Label Studio API key: set LABEL_STUDIO_API_KEY or pass --api-key")
        self.url = url.rstrip("/")
        # The SDK's own retries are off (it would re-send a request that may have reached the
        # server, an import batch included): ``with_retries`` and push's import are the one policy.
        self.sdk = LabelStudio(base_url=self.url, api_key=api_key, timeout=timeout, max_retries=0)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {api_key}"
        self.timeout = timeout

    def get_json(self, path: str, **params):
        """GET an API path, raising for HTTP errors."""
        response = self.http.get(self.url + path, params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def tasks(self, project_id: int, filters: list[dict] | None = None) -> list[dict]:
        """A project's tasks (id, data; no computed fields) in one response (the SDK pages
        slowly), all or those matching Data Manager ``filters`` (AND-ed)."""
        params = {"project": project_id, "page_size": 1_000_000, "fields": "task_only", "resolve_uri": "false"}
        if filters:
            params["query"] = json.dumps({"filters": {"conjunction": "and", "items": filters}})

        def page():
            data = self.get_json("/api/tasks", **params)
            return data["tasks"] if isinstance(data, dict) else data
        return with_retries(page, "listing tasks")
