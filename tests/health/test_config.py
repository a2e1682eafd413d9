"""The health config file: loading, validation errors that name file, check and field, and the manager."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.checks import DiskSpaceCheck, HttpCheck, PostgresCheck, RedisCheck
from omnimemory_kit.health.config import HttpSpec, load_health_config, parse_health_config
from omnimemory_kit.health.models import DependencyType, HealthStatus
from omnimemory_kit.resilience import CircuitBreakerConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "health.toml"
SECRET = "hunter2-s3cret"


def write(tmp_path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path = tmp_path / "health.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    """Return the HealthConfigError message loading ``text`` raises."""
    with pytest.raises(HealthConfigError) as info:
        load_health_config(write(tmp_path, text))
    return str(info.value)


class TestLoading:
    def test_example_file_loads(self) -> None:
        """The shipped example has its settings and four checks of the right kinds, in file order."""
        config = load_health_config(EXAMPLE)
        assert config.store == "sqlite:///health-history.db"
        assert config.retention_days == 30
        assert [(c.name, c.type) for c in config.checks] == [
            ("postgresql", "postgres"),
            ("redis", "redis"),
            ("disk", "disk"),
            ("scratch", "path"),
        ]

    def test_registrations_carry_every_setting(self) -> None:
        """Each spec becomes a HealthCheckConfig with its derived dependency type, breaker and damping."""
        registrations = load_health_config(EXAMPLE).registrations()
        configs = {config.name: config for config, _ in registrations}
        checks = {config.name: check for config, check in registrations}
        assert configs["postgresql"].dependency_type is DependencyType.DATABASE
        assert configs["postgresql"].timeout == 2.0
        assert configs["postgresql"].conditions == ("latency_ms < 300 else degraded",)
        assert isinstance(configs["postgresql"].breaker, CircuitBreakerConfig)
        assert configs["postgresql"].breaker.failure_threshold == 3
        assert configs["redis"].critical is False
        assert configs["redis"].failures_to_change == 2
        assert configs["disk"].dependency_type is DependencyType.SYSTEM
        assert isinstance(checks["postgresql"], PostgresCheck)
        assert isinstance(checks["redis"], RedisCheck)
        assert isinstance(checks["disk"], DiskSpaceCheck)
        assert checks["disk"].warn_free_pct == 15

    def test_http_fields_and_dependency_override(self) -> None:
        """An http check takes a single status, a JSON field, headers and a dependency type override."""
        config = parse_health_config(
            {
                "check": [
                    {
                        "name": "pinecone",
                        "type": "http",
                        "dependency_type": "vector_db",
                        "url": "https://idx.example/describe_index_stats",
                        "expect_status": 200,
                        "json_field": "status",
                        "expected": "ok",
                        "method": "post",
                        "headers": {"Api-Key": "k"},
                    }
                ]
            }
        )
        spec = config.checks[0]
        assert isinstance(spec, HttpSpec)
        assert spec.expect_status == (200,)
        assert spec.method == "POST"
        assert spec.health_check_config().dependency_type is DependencyType.VECTOR_DB
        check = spec.build()
        assert isinstance(check, HttpCheck)
        assert repr(check) == "<HttpCheck POST https://idx.example/describe_index_stats calls=0 failures=0>"

    def test_environment_references_are_expanded(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``${NAME}`` in a DSN or header is replaced by the environment variable's value."""
        monkeypatch.setenv("OMK_TEST_PG_PASSWORD", SECRET)
        monkeypatch.setenv("OMK_TEST_API_KEY", "key-1")
        path = write(
            tmp_path,
            """
            [[check]]
            name = "db"
            type = "postgres"
            dsn = "postgresql://app:${OMK_TEST_PG_PASSWORD}@127.0.0.1/app"

            [[check]]
            name = "api"
            type = "http"
            url = "http://127.0.0.1/health"
            headers = { "Api-Key" = "${OMK_TEST_API_KEY}" }
            """,
        )
        db, api = load_health_config(path).checks
        assert db.dsn == f"postgresql://app:{SECRET}@127.0.0.1/app"  # type: ignore[union-attr]
        assert api.headers == {"Api-Key": "key-1"}  # type: ignore[union-attr]

    def test_empty_file_is_a_valid_config_without_checks(self, tmp_path: Path) -> None:
        """A file with no checks loads, with the default retention and no store."""
        config = load_health_config(write(tmp_path, "# nothing yet\n"))
        assert config.checks == ()
        assert config.store is None
        assert config.retention_days == 30


class TestErrors:
    def test_unknown_type_names_file_check_and_field(self, tmp_path: Path) -> None:
        """An unknown check type names the file, the check and lists the types there are."""
        message = error_for(tmp_path, '[[check]]\nname = "mq"\ntype = "rabbitmq"\n')
        assert str(tmp_path / "health.toml") in message
        assert "check 'mq': type: unknown check type 'rabbitmq'" in message
        assert "postgres, redis, http, tcp, disk, path, store" in message

    def test_missing_type(self, tmp_path: Path) -> None:
        """A check without a type says the type is missing."""
        assert "check 'x': type: missing" in error_for(tmp_path, '[[check]]\nname = "x"\n')

    def test_missing_field(self, tmp_path: Path) -> None:
        """A postgres check without a DSN names the missing field."""
        message = error_for(tmp_path, '[[check]]\nname = "db"\ntype = "postgres"\n')
        assert "check 'db': dsn: required field is missing" in message

    def test_missing_name_uses_the_position(self, tmp_path: Path) -> None:
        """A check without a name is identified by its position in the file."""
        message = error_for(
            tmp_path, '[[check]]\ntype = "disk"\n[[check]]\ntype = "tcp"\nhost = "h"\nport = 1\n'
        )
        assert "check #1: name: required field is missing" in message
        assert "check #2: name: required field is missing" in message

    def test_unknown_field(self, tmp_path: Path) -> None:
        """A misspelt field is refused rather than silently ignored."""
        message = error_for(tmp_path, '[[check]]\nname = "d"\ntype = "disk"\nwarn_pct = 5\n')
        assert "check 'd': warn_pct: unknown field" in message

    @pytest.mark.parametrize(
        ("kind", "field", "value"),
        [
            ("postgres", "dsn", f"host=127.0.0.1 password={SECRET} dbname"),
            ("postgres", "dsn", f"mysql://u:{SECRET}@h/db"),
            ("redis", "url", f"http://u:{SECRET}@h:6379"),
            ("http", "url", f"ftp://u:{SECRET}@h/x"),
            ("store", "url", f"sqlite://u:{SECRET}@h/x.db"),
        ],
    )
    def test_malformed_dsn_or_url_names_the_field_without_the_secret(
        self, tmp_path: Path, kind: str, field: str, value: str
    ) -> None:
        """A malformed DSN or URL is named by field, and the password never appears in the message."""
        message = error_for(tmp_path, f'[[check]]\nname = "c"\ntype = "{kind}"\n{field} = "{value}"\n')
        assert f"check 'c': {field}:" in message
        assert SECRET not in message

    @pytest.mark.parametrize("password", ["Wr0ng@PW99", "Wr0ng/PW99", "Wr0ng#PW99", "Wr0ng?PW99"])
    def test_unencoded_password_in_a_dsn(self, tmp_path: Path, password: str) -> None:
        """A DSN whose password holds '@', '/', '#' or '?' is refused before libpq can print a piece."""
        value = f"postgresql://alice:{password}@127.0.0.1/db"
        message = error_for(tmp_path, f'[[check]]\nname = "c"\ntype = "postgres"\ndsn = "{value}"\n')
        assert "check 'c': dsn:" in message
        assert "the password must be percent-encoded" in message
        assert "Wr0ng" not in message
        assert "PW99" not in message

    def test_negative_timeout(self, tmp_path: Path) -> None:
        """A negative timeout is refused, naming the field."""
        message = error_for(tmp_path, '[[check]]\nname = "d"\ntype = "disk"\ntimeout = -1\n')
        assert "check 'd': timeout: Input should be greater than 0" in message

    def test_duplicate_name(self, tmp_path: Path) -> None:
        """Two checks with one name are refused, naming it."""
        message = error_for(
            tmp_path, '[[check]]\nname = "d"\ntype = "disk"\n[[check]]\nname = "d"\ntype = "disk"\n'
        )
        assert "check 'd': name: duplicate check name" in message

    def test_bad_condition(self, tmp_path: Path) -> None:
        """A condition that does not parse is refused, naming the field and the condition."""
        message = error_for(
            tmp_path, '[[check]]\nname = "d"\ntype = "disk"\nconditions = ["free_pct is big"]\n'
        )
        assert "check 'd': conditions" in message
        assert "free_pct is big" in message

    def test_thresholds_in_the_wrong_order(self, tmp_path: Path) -> None:
        """A fail threshold above the warn threshold is refused."""
        message = error_for(
            tmp_path, '[[check]]\nname = "d"\ntype = "disk"\nwarn_free_pct = 10\nfail_free_pct = 20\n'
        )
        assert "check 'd': fail_free_pct: must not be above warn_free_pct (10)" in message

    def test_unset_environment_variable(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A ``${NAME}`` whose variable is not set is named (the variable, not its would-be value)."""
        monkeypatch.delenv("OMK_TEST_UNSET", raising=False)
        message = error_for(
            tmp_path,
            '[[check]]\nname = "r"\ntype = "redis"\nurl = "redis://:${OMK_TEST_UNSET}@127.0.0.1/0"\n',
        )
        assert "check 'r': url: environment variable OMK_TEST_UNSET" in message

    def test_bad_top_level_setting(self, tmp_path: Path) -> None:
        """A wrong top-level setting names the file and the setting."""
        assert ": retention_days: Input should be greater than 0" in error_for(
            tmp_path, "retention_days = 0\n"
        )
        assert ": checks: unknown setting" in error_for(tmp_path, "checks = []\n")
        assert ": stor: unknown field" in error_for(tmp_path, 'stor = "x"\n')

    def test_invalid_toml(self, tmp_path: Path) -> None:
        """A file that is not TOML says so, with the position."""
        message = error_for(tmp_path, "[[check]\nname =\n")
        assert "not valid TOML" in message
        assert "line 1" in message

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that cannot be read is a config error naming it."""
        with pytest.raises(HealthConfigError, match="cannot read the health config"):
            load_health_config(tmp_path / "absent.toml")


TCP = """
[[check]]
name = "db"
type = "tcp"
host = "127.0.0.1"
port = 5432
"""


class TestServeSettings:
    def test_interval_slo_and_maintenance_are_read(self, tmp_path: Path) -> None:
        """Per-check interval and SLO, and maintenance windows, come back from the file as written."""
        config = load_health_config(
            write(
                tmp_path,
                TCP
                + """interval = 5\nslo = 99.95\n
[[maintenance]]
start = 2027-01-15T02:00:00Z
end = 2027-01-15T03:00:00+00:00
checks = ["db"]
reason = "upgrade"
""",
            )
        )
        assert config.intervals() == {"db": 5.0}
        assert config.slos() == {"db": 99.95}
        (window,) = config.maintenance_schedule().windows
        assert (window.checks, window.reason, (window.end - window.start).total_seconds()) == (
            ("db",),
            "upgrade",
            3600.0,
        )

    def test_defaults_are_30_seconds_and_no_slo(self, tmp_path: Path) -> None:
        """Without interval or slo a check runs every 30 s and has no SLO."""
        config = load_health_config(write(tmp_path, TCP))
        assert (config.intervals(), config.slos(), bool(config.maintenance_schedule())) == (
            {"db": 30.0},
            {},
            False,
        )

    @pytest.mark.parametrize(
        ("extra", "expected"),
        [
            ("interval = 0", "check 'db': interval:"),
            ("interval = -3", "check 'db': interval:"),
            ("slo = 100", "check 'db': slo: must be a percentage above 0 and below 100"),
            ("slo = 0", "check 'db': slo: must be a percentage above 0 and below 100"),
        ],
    )
    def test_bad_interval_or_slo_names_check_and_field(
        self, tmp_path: Path, extra: str, expected: str
    ) -> None:
        """An interval below 0.1 s or an SLO outside (0, 100) is refused naming the check and field."""
        assert expected in error_for(tmp_path, TCP + extra + "\n")

    @pytest.mark.parametrize(
        ("windows", "expected"),
        [
            ("start = 2027-01-15T02:00:00\nend = 2027-01-15T03:00:00Z", "#1: start: needs a UTC offset"),
            ("start = 2027-01-15T04:00:00Z\nend = 2027-01-15T03:00:00Z", "#1: maintenance window ends"),
            ("start = 2027-01-15T02:00:00Z", "maintenance #1: end: required field is missing"),
            ('start = "soon"\nend = 2027-01-15T03:00:00Z', "maintenance #1: start:"),
            ('start = 2027-01-15T02:00:00Z\nend = 2027-01-15T03:00:00Z\nchecks = ["dbx"]',
             "maintenance #1: checks: no check named 'dbx'"),
            ("start = 2027-01-15T02:00:00Z\nend = 2027-01-15T03:00:00Z\nchecks = []",
             "maintenance #1: checks: an empty list names no check (leave `checks` out to cover every"),
            ("start = 2027-01-15T02:00:00Z\nend = 2027-01-15T03:00:00Z\n[[maintenance]]\n"
             "start = 2027-01-15T02:30:00Z\nend = 2027-01-15T04:00:00Z", "maintenance windows overlap"),
        ],
    )  # fmt: skip
    def test_ill_formed_or_overlapping_windows_are_refused(
        self, tmp_path: Path, windows: str, expected: str
    ) -> None:
        """Each kind of bad maintenance window gives one message naming the window and what is wrong."""
        message = error_for(tmp_path, TCP + "\n[[maintenance]]\n" + windows + "\n")
        assert expected in message
        assert "\n" not in message


class TestWebhooks:
    def test_webhooks_are_read_and_build_an_alerter(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A [[webhook]] table with its URL from the environment becomes a webhook; its URL is not in repr."""
        monkeypatch.setenv("OPS_HOOK", f"https://hooks.example.invalid/T0/{SECRET}")
        config = load_health_config(
            write(tmp_path, TCP + '[[webhook]]\nname = "ops"\nurl = "${OPS_HOOK}"\nformat = "slack"\n'
                  "reminder_interval = 600\nchecks = [\"db\"]\n")
        )  # fmt: skip
        (spec,) = config.webhooks
        webhook = spec.to_webhook()
        assert (webhook.format, webhook.reminder_interval, webhook.checks) == ("slack", 600.0, ("db",))
        assert webhook.url.endswith(SECRET)
        assert SECRET not in repr(config)
        assert SECRET not in repr(webhook)

    @pytest.mark.parametrize(
        ("table", "expected"),
        [
            ('name = "ops"\nurl = "ftp://x/y"', "webhook 'ops': url: "),
            ('name = "ops"\nurl = "http://127.0.0.1:9/x"\ntimeout = 0', "webhook 'ops': timeout: "),
            ('name = "ops"\nurl = "http://127.0.0.1:9/x"\nformat = "teams"', "webhook 'ops': format: "),
            ('name = "ops"\nurl = "http://127.0.0.1:9/x"\nchecks = ["web"]', "checks: no check named 'web'"),
            ('url = "http://127.0.0.1:9/x"', "webhook #1: name: required field is missing"),
        ],
    )
    def test_bad_webhooks_name_the_webhook_and_field(self, tmp_path: Path, table: str, expected: str) -> None:
        """A bad URL, timeout, format, check name or a missing name is one message naming the webhook."""
        message = error_for(tmp_path, TCP + "[[webhook]]\n" + table + "\n")
        assert expected in message
        assert "\n" not in message

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://hooks.example.com/services/T0/B0/S3CR3TS3CR3T",
            "https:///services/T0/B0/S3CR3TS3CR3T",
            "https://hooks.example.com:99999/services/T0/B0/S3CR3TS3CR3T",
        ],
    )
    def test_a_bad_webhook_url_is_never_shown(self, tmp_path: Path, url: str) -> None:
        """A webhook URL's path may be its secret (Slack's is): the message names the field, not the URL."""
        message = error_for(tmp_path, TCP + f'[[webhook]]\nname = "ops"\nurl = "{url}"\n')
        assert "webhook 'ops': url: the URL " in message
        assert "S3CR3T" not in message
        assert "hooks.example.com" not in message


class TestOpenManager:
    async def test_runs_the_configured_checks_and_closes_them(
        self, tmp_path: Path, pg_dsn: str, redis_url: str
    ) -> None:
        """The manager runs every configured check against the real services and closes them afterwards."""
        config = parse_health_config(
            {
                "check": [
                    {"name": "pg", "type": "postgres", "dsn": pg_dsn, "timeout": 5},
                    {"name": "redis", "type": "redis", "url": redis_url, "critical": False},
                    {"name": "tmp", "type": "path", "path": str(tmp_path)},
                ]
            }
        )
        async with config.open_manager(sample_resources=False) as manager:
            response = await manager.get_comprehensive_health()
            assert [c.name for c in manager.configs] == ["pg", "redis", "tmp"]
        assert response.status is HealthStatus.HEALTHY
        assert {name: dep.status for name, dep in response.dependencies.items()} == {
            "pg": HealthStatus.HEALTHY,
            "redis": HealthStatus.HEALTHY,
            "tmp": HealthStatus.HEALTHY,
        }
        assert response.dependencies["pg"].observed_unit == "ms"
