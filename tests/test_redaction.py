"""Secrets never leak: the kit's one set of redaction rules, and every surface that shows a URL or an error.

``TestRules`` covers each form the redactor knows, once. The surface tests use real failures (a closed
loopback port, a database that does not exist) with a password in the URL and look for it everywhere the
user could see it: exceptions, ``url`` / ``repr``, health responses, log lines and the CLI's output.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import textwrap
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner

from omnimemory_kit import redact as public_redact
from omnimemory_kit import redact_url as public_redact_url
from omnimemory_kit.cli import cli
from omnimemory_kit.errors import ConfigError, StoreUnavailableError
from omnimemory_kit.health import CheckResult, HealthCheckConfig, HealthManager, HealthStatus
from omnimemory_kit.health.checks import PostgresCheck, RedisCheck
from omnimemory_kit.observability import (
    REDACTED,
    OperationType,
    configure_logging,
    correlation_context,
    is_secret_name,
    redact,
    redact_mapping,
    trace_operation,
)
from omnimemory_kit.store import open_store, redact_url

SECRET = "hunter2-s3cret"

# (text, what it must become): each form the rules know, once.
FORMS = [
    # URL userinfo
    ("postgresql://app:s3cr%40t@db:5432/x", "postgresql://app:***@db:5432/x"),
    ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("postgresql+psycopg://app:hunter2@db/x", "postgresql+psycopg://app:***@db/x"),
    ("postgresql://app@srv:hunter2@srv.example/x", "postgresql://app@srv:***@srv.example/x"),
    ("postgresql://app:hun@ter2@db/x", "postgresql://app:***@db/x"),
    ("http://u:hunter2@[::1", "http://u:***@[::1"),
    (
        "connect to postgresql://a:one@h/d and redis://:two@r/0 failed",
        "connect to postgresql://a:***@h/d and redis://:***@r/0 failed",
    ),
    # libpq key=value connection strings
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("host=db password='with space' user=app", "host=db password=*** user=app"),
    (r"host=db password='it\'s' user=app", "host=db password=*** user=app"),
    ("host=db password = hunter2 user=app", "host=db password = *** user=app"),
    ("sslpassword=a PGPASSWORD=b", "sslpassword=*** PGPASSWORD=***"),
    # query strings
    ("https://api.example/x?user=a&PASSWORD=abc&z=1", "https://api.example/x?user=a&PASSWORD=***&z=1"),
    ("?token=abc&x=1", "?token=***&x=1"),
    ("?api_key=abcd&access_token=t&client_secret=c", "?api_key=***&access_token=***&client_secret=***"),
    # key: value (JSON, headers)
    ('{"api_key": "abc123", "n": 1}', '{"api_key": ***, "n": 1}'),
    ('{"password": "x1"}', '{"password": ***}'),
    ("Api-Key: abc123 sent", "Api-Key: *** sent"),
    ("pwd: abc", "pwd: ***"),
]

UNCHANGED = [
    "nothing secret here",
    "failed: connect to postgresql://app@db/x",
    "http://host:8080/path",
    "user@example.com wrote",
    "at 12:30 the cwd: /tmp",
    "tokens=5 passwordless: true token_count=3",
]


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_password(url: str, *, port: int | None = None, path: str | None = None, query: str = "") -> str:
    """Return ``url`` with ``SECRET`` as its password (and optionally another port, path or query)."""
    parts = urlsplit(url)
    netloc = f"{parts.username or 'postgres'}:{SECRET}@{parts.hostname}:{port or parts.port or 5432}"
    return urlunsplit(
        parts._replace(netloc=netloc, path=path if path is not None else parts.path, query=query)
    )


def full_text(exc: BaseException) -> str:
    """Return everything a traceback of ``exc`` would print, causes included."""
    return "".join(traceback.format_exception(exc))


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Every ``omnimemory_kit`` log line at DEBUG, as JSON lines in a buffer."""
    stream = io.StringIO()
    logger = logging.getLogger("omnimemory_kit")
    old_level = logger.level
    handler = configure_logging(logging.DEBUG, stream=stream, logger="omnimemory_kit")
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


class TestRules:
    @pytest.mark.parametrize(("text", "expected"), FORMS)
    def test_each_form_is_redacted(self, text: str, expected: str) -> None:
        """URL userinfo, key=value, query and key: value secrets become ***; the rest is kept."""
        assert redact(text) == expected

    @pytest.mark.parametrize("text", UNCHANGED)
    def test_text_without_secrets_is_unchanged(self, text: str) -> None:
        """Ports, times, e-mail addresses, password-less URLs and look-alike names are left alone."""
        assert redact(text) == text

    def test_long_runs_do_not_backtrack_for_ever(self) -> None:
        """A huge token that almost looks like a URL is scanned in linear time (was quadratic)."""
        text = "x://" + "a" * 400_000 + "@" * 10_000
        assert redact(text) == text

    @pytest.mark.parametrize(
        ("name", "secret"),
        [
            ("password", True),
            ("db_password", True),
            ("sslpassword", True),
            ("X-Api-Key", True),
            ("access_token", True),
            ("token_count", False),
            ("passwordless", False),
            ("user", False),
        ],
    )
    def test_secret_names_end_in_a_keyword(self, name: str, secret: bool) -> None:
        """A name is secret when it ends in password, pwd, secret, token or api key."""
        assert is_secret_name(name) is secret

    def test_mappings_blank_secret_keys_and_redact_strings(self) -> None:
        """Secret-named keys are blanked, string values redacted, other values kept."""
        assert redact_mapping({"password": 1, "dsn": "postgresql://a:b@h/d", "free_pct": 4}) == {
            "password": REDACTED,
            "dsn": "postgresql://a:***@h/d",
            "free_pct": 4,
        }


class TestOneImplementation:
    @pytest.mark.parametrize(("text", "expected"), FORMS)
    def test_redact_url_follows_the_same_rules(self, text: str, expected: str) -> None:
        """The store's redact_url gives exactly what redact gives, on every form."""
        assert redact_url(text) == expected

    def test_public_names_are_the_same_functions(self) -> None:
        """The package exports the one redactor, and redact_url is the store's thin caller of it."""
        assert public_redact is redact
        assert public_redact_url is redact_url


class TestLogSurfaces:
    @pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
    def test_a_failed_operation_logs_no_password(self, as_json: bool) -> None:
        """A traced failure quoting a DSN is logged, traceback included, with the password hidden."""
        stream = io.StringIO()
        logger = logging.getLogger("omnimemory_kit")
        old_level = logger.level
        handler = configure_logging(logging.DEBUG, json=as_json, stream=stream, logger="omnimemory_kit")
        try:
            with pytest.raises(ConnectionError), trace_operation("connect", OperationType.DATABASE):
                raise ConnectionError(f"cannot reach postgresql://app:{SECRET}@db/x")
            logging.getLogger("omnimemory_kit.test").error("retrying host=db password=%s", SECRET)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        text = stream.getvalue()
        assert "Traceback" in text
        assert "postgresql://app:***@db/x" in text
        assert "password=***" in text
        assert SECRET not in text

    def test_traceback_and_extras_in_json_lines(self, log_stream: io.StringIO) -> None:
        """The traceback keeps its shape, string extras are redacted and secret-named extras blanked."""
        with pytest.raises(ConnectionError), trace_operation("connect", OperationType.DATABASE):
            raise ConnectionError(f"cannot reach postgresql://app:{SECRET}@db/x")
        logging.getLogger("omnimemory_kit.test").info(
            "configured", extra={"api_token": "abc", "target": f"postgresql://u:{SECRET}@h/d", "n": 3}
        )
        failed, configured = (json.loads(line) for line in log_stream.getvalue().splitlines()[-2:])
        assert "Traceback" in failed["exc_info"]
        assert "postgresql://app:***@db/x" in failed["exc_info"]
        assert (configured["api_token"], configured["target"], configured["n"]) == (
            REDACTED,
            "postgresql://u:***@h/d",
            3,
        )
        assert SECRET not in log_stream.getvalue()


class TestStoreSurfaces:
    def test_postgres_closed_port(self) -> None:
        """A refused PostgreSQL connection fails with no password in the error or its causes."""
        url = f"postgresql://app:{SECRET}@127.0.0.1:{closed_port()}/test"
        with pytest.raises(StoreUnavailableError) as caught:
            open_store(url)
        assert "***" in str(caught.value)
        assert SECRET not in full_text(caught.value)

    def test_postgres_missing_database(self, pg_dsn: str) -> None:
        """A database that does not exist is named, the password is not."""
        missing = f"omk_missing_{uuid.uuid4().hex[:8]}"
        with pytest.raises(StoreUnavailableError) as caught:
            open_store(with_password(pg_dsn, path=f"/{missing}"))
        assert missing in str(caught.value)
        assert SECRET not in full_text(caught.value)

    def test_postgres_url_and_repr(self, pg_dsn: str) -> None:
        """An open PostgreSQL store shows its URL with the password hidden."""
        schema = f"test_{uuid.uuid4().hex[:12]}"
        store = open_store(with_password(pg_dsn, query=f"schema={schema}"))
        try:
            assert ":***@" in store.url
            assert SECRET not in store.url
            assert SECRET not in repr(store)
        finally:
            store.close()
            with psycopg.connect(pg_dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    @pytest.mark.parametrize(
        "url",
        [
            f"sqlite://app:{SECRET}@host/run.db",
            f"sqlite:///run.db?password={SECRET}",
            f"sqlite:///run.db?synchronous=normal&token={SECRET}",
        ],
    )
    def test_sqlite_bad_urls(self, url: str) -> None:
        """A SQLite URL carrying credentials is refused without repeating them."""
        with pytest.raises(ConfigError) as caught:
            open_store(url)
        assert SECRET not in full_text(caught.value)


class TestHealthSurfaces:
    async def test_dependency_errors_messages_and_logs(self, pg_dsn: str, log_stream: io.StringIO) -> None:
        """Real failures and secret-quoting checks leave no password in the response or the logs."""
        manager = HealthManager(sample_resources=False)
        port = closed_port()
        missing = f"omk_missing_{uuid.uuid4().hex[:8]}"

        async def raises() -> bool:
            raise ConnectionError(f"cannot reach postgresql://app:{SECRET}@db/x")

        def quotes() -> CheckResult:
            return CheckResult.degraded(
                f"slow: host=db password={SECRET}", details={"token": SECRET, "dsn": f"redis://:{SECRET}@r"}
            )

        checks = {
            "closed": PostgresCheck(with_password(pg_dsn, port=port), connect_timeout=2),
            "missing": PostgresCheck(with_password(pg_dsn, path=f"/{missing}"), connect_timeout=2),
            "redis": RedisCheck(f"redis://:{SECRET}@127.0.0.1:{port}/0", timeout=2),
        }
        for name, check in checks.items():
            manager.register_health_check(HealthCheckConfig(name=name, timeout=3), check)
        manager.register_health_check(HealthCheckConfig(name="raises"), raises)
        manager.register_health_check(HealthCheckConfig(name="quotes", critical=False), quotes)
        try:
            with correlation_context("req-secret"):
                response = await manager.get_comprehensive_health()
        finally:
            for check in checks.values():
                await check.aclose()
            manager.close()
        deps = response.dependencies
        assert {deps[name].status for name in ("closed", "missing", "redis", "raises")} == {
            HealthStatus.UNHEALTHY
        }
        assert missing in str(deps["missing"].message)
        assert deps["raises"].error is not None
        assert deps["raises"].error.message == "cannot reach postgresql://app:***@db/x"
        assert deps["quotes"].message == "slow: host=db password=***"
        assert deps["quotes"].details == {"token": REDACTED, "dsn": "redis://:***@r"}
        for name, check in checks.items():
            assert SECRET not in repr(check), name
        for text in (response.model_dump_json(), response.to_json(), repr(response), log_stream.getvalue()):
            assert SECRET not in text
        # the round logged the refused connection, with the password masked where it stood
        assert f":***@127.0.0.1:{port}/" in log_stream.getvalue()


class TestCliSurfaces:
    def config(self, tmp_path: Path, pg_dsn: str) -> str:
        """Write a config of failing checks whose URLs carry the password."""
        port = closed_port()
        missing = f"omk_missing_{uuid.uuid4().hex[:8]}"
        path = tmp_path / "health.toml"
        path.write_text(
            textwrap.dedent(
                f"""
                [[check]]
                name = "closed"
                type = "postgres"
                dsn = "{with_password(pg_dsn, port=port)}"
                timeout = 2

                [[check]]
                name = "missing"
                type = "postgres"
                dsn = "{with_password(pg_dsn, path=f"/{missing}")}"
                timeout = 2

                [[check]]
                name = "redis"
                type = "redis"
                url = "redis://:{SECRET}@127.0.0.1:{port}/0"
                timeout = 2

                [[check]]
                name = "http"
                type = "http"
                url = "http://app:{SECRET}@127.0.0.1:{port}/health"
                timeout = 2
                """
            ),
            encoding="utf-8",
        )
        return str(path)

    @pytest.mark.parametrize("output", [[], ["--json"]], ids=["table", "json"])
    def test_output_and_logs(self, tmp_path: Path, pg_dsn: str, output: list[str]) -> None:
        """The table, the JSON document and -vv JSON logs of failing checks never show the password."""
        result = CliRunner().invoke(
            cli, ["health", "--config", self.config(tmp_path, pg_dsn), "-vv", "--log-json", *output]
        )
        assert result.exit_code == 1, result.output
        if output:
            assert json.loads(result.stdout)["status"] == "fail"
        else:
            assert "overall: unhealthy" in result.stdout
        assert "does not exist" in result.stdout
        # -vv logged each failed check with the password masked where it stood
        assert "redis check of redis://:***@127.0.0.1:" in result.stderr
        assert "http check of GET http://app:***@127.0.0.1:" in result.stderr
        assert SECRET not in result.stdout
        assert SECRET not in result.stderr

    def test_unreachable_store(self, tmp_path: Path, pg_dsn: str) -> None:
        """A history store that cannot be opened exits 3 with its URL shown redacted."""
        url = f"postgresql://app:{SECRET}@127.0.0.1:{closed_port()}/test"
        result = CliRunner().invoke(
            cli, ["health", "--config", self.config(tmp_path, pg_dsn), "--store", url]
        )
        assert result.exit_code == 3, result.output
        assert "app:***@127.0.0.1" in result.stderr
        assert SECRET not in result.stdout + result.stderr

    def test_malformed_dsn_in_config(self, tmp_path: Path) -> None:
        """A DSN that does not parse is a config error that does not repeat it."""
        path = tmp_path / "bad.toml"
        path.write_text(
            f'[[check]]\nname = "db"\ntype = "postgres"\ndsn = "postgresql://u:{SECRET}@h:notaport/db"\n',
            encoding="utf-8",
        )
        result = CliRunner().invoke(cli, ["health", "--config", str(path)])
        assert result.exit_code == 2
        assert "dsn" in result.stderr
        assert SECRET not in result.stdout + result.stderr
