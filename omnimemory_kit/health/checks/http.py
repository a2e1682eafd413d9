"""HTTP(S): a request over one reused ``httpx.AsyncClient``, checking the status code and a JSON field.

A vector database or any other service with an HTTP endpoint (Pinecone's ``/describe_index_stats`` or
``/health``, a search cluster, a model server) is checked with this, passing its API key in ``headers``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks._base import BuiltinCheck
from omnimemory_kit.health.models import CheckResult
from omnimemory_kit.observability import redact

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpCheck", "validate_http_url"]

_MISSING = object()


def validate_http_url(url: str, *, where: str = "url", secret: bool = False) -> str:
    """Return ``url`` if it is an absolute ``http://`` or ``https://`` URL with a host, else raise.

    Args:
        url: the URL to check.
        where: what the message names (the field).
        secret: the whole URL may be a secret (a Slack webhook's path is one): never show it.

    Raises:
        HealthConfigError: naming ``where``; the URL is shown with its password redacted, or not at all.
    """
    if not isinstance(url, str) or not url.strip():
        raise HealthConfigError(f"{where}: an http:// or https:// URL is required")
    shown = "the URL" if secret else repr(redact(url))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise HealthConfigError(f"{where}: {shown} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise HealthConfigError(f"{where}: {shown} is not an http:// or https:// URL")
    if not parts.hostname:
        raise HealthConfigError(f"{where}: {shown} has no host")
    return url


def _lookup(document: Any, path: str) -> Any:
    """Return the value at a dotted path (``"status"``, ``"checks.db.status"``, ``"items.0"``)."""
    value = document
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


class HttpCheck(BuiltinCheck):
    """Request ``url`` and check the status code and, optionally, a field of the JSON body.

    Args:
        url: the endpoint (http or https).
        expect_status: the status codes that count as healthy (default 200-299).
        json_field: a dotted path into the JSON body that must exist (``"status"``, ``"db.state"``).
        expected: the value ``json_field`` must have (compared as-is, then as text); any value when None.
        method: the HTTP method.
        headers: request headers (API keys go here; they are never shown in messages or reprs).
        timeout: seconds for connect, read and write.
        verify: verify TLS certificates (a CA bundle path is also accepted).
        client: an ``httpx.AsyncClient`` to use instead of creating one (then ``aclose()`` leaves it open).

    Redirects are not followed: a health endpoint that redirects is usually misconfigured, and a 3xx is
    reported as such unless listed in ``expect_status``.

    Observed value: the latency in ms. Details: ``status_code`` and, with ``json_field``, ``json_value``.

    Raises:
        HealthConfigError: the URL is not http(s), or a status code is out of range.
    """

    kind: ClassVar[str] = "http"

    def __init__(
        self,
        url: str,
        *,
        expect_status: Iterable[int] | None = None,
        json_field: str | None = None,
        expected: Any = None,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        verify: bool | str = True,
        client: httpx.AsyncClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        validate_http_url(url)
        statuses = frozenset(expect_status) if expect_status is not None else frozenset(range(200, 300))
        bad = sorted(code for code in statuses if not 100 <= code <= 599)
        if not statuses or bad:
            raise HealthConfigError(f"expect_status: status codes must be between 100 and 599 (got {bad})")
        if timeout <= 0:
            raise HealthConfigError(f"timeout must be > 0 seconds, not {timeout!r}")
        if expected is not None and json_field is None:
            raise HealthConfigError("expected: needs json_field (which field of the JSON body to compare)")
        self._url = url
        self._statuses = statuses
        self._json_field = json_field
        self._expected = expected
        self._method = method.upper()
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._verify = verify
        self._client = client
        self._owns_client = client is None
        import httpx  # noqa: F401 - import now: a first import inside a round stalls every check

    @property
    def target(self) -> str:
        """Return the method and URL, password redacted."""
        return f"{self._method} {redact(self._url)}"

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            verify: bool | ssl.SSLContext = (
                self._verify
                if isinstance(self._verify, bool)
                else (ssl.create_default_context(cafile=self._verify))
            )
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout), verify=verify)
        return self._client

    def _expected_text(self) -> str:
        codes = sorted(self._statuses)
        if codes == list(range(200, 300)):
            return "2xx"
        return ", ".join(str(code) for code in codes)

    async def _probe(self) -> CheckResult:
        response = await self._get_client().request(self._method, self._url, headers=self._headers)
        details: dict[str, Any] = {"status_code": response.status_code}
        if response.status_code not in self._statuses:
            return CheckResult.unhealthy(
                f"HTTP {response.status_code} {response.reason_phrase} (expected {self._expected_text()})",
                details=details,
            )
        if self._json_field is None:
            return CheckResult.healthy(f"HTTP {response.status_code}", details=details)
        try:
            document = response.json()
        except ValueError:
            return CheckResult.unhealthy(
                f"HTTP {response.status_code} but the body is not JSON (looking for {self._json_field!r})",
                details=details,
            )
        value = _lookup(document, self._json_field)
        if value is _MISSING:
            return CheckResult.unhealthy(f"JSON field {self._json_field!r} is missing", details=details)
        if isinstance(value, str | int | float | bool) or value is None:
            details["json_value"] = value
        if self._expected is not None and value != self._expected and str(value) != str(self._expected):
            return CheckResult.unhealthy(
                f"JSON field {self._json_field!r} is {value!r}, expected {self._expected!r}", details=details
            )
        return CheckResult.healthy(
            f"HTTP {response.status_code}, {self._json_field}={value!r}", details=details
        )

    async def aclose(self) -> None:
        """Close the client if the check created it. Idempotent."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None and self._owns_client:
            await client.aclose()
