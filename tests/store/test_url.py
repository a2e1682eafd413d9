"""Store URLs: parsing, dispatch by scheme, and password redaction."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError, StoreUnavailableError
from omnimemory_kit.store import SQLiteStore, open_store, redact_url
from omnimemory_kit.store.url import PostgresLocation, SQLiteLocation, parse_postgres_url, parse_sqlite_url

PACKAGE = Path(__file__).resolve().parents[2] / "omnimemory_kit"


class TestParseSQLiteURL:
    @pytest.mark.parametrize(
        ("url", "path"),
        [
            ("sqlite:///relative/run.db", "relative/run.db"),
            ("sqlite:////absolute/run.db", "/absolute/run.db"),
            ("relative/run.db", "relative/run.db"),
            ("/absolute/run.db", "/absolute/run.db"),
            ("sqlite://", ":memory:"),
            ("sqlite:///:memory:", ":memory:"),
            ("sqlite:///d%C3%A9j%C3%A0.db", "d%C3%A9j%C3%A0.db"),
        ],
    )
    def test_accepted_forms(self, url: str, path: str) -> None:
        """Three slashes mean a relative path, four an absolute one; bare paths and memory forms work."""
        assert parse_sqlite_url(url) == SQLiteLocation(path=path)

    def test_path_objects_are_plain_paths(self, tmp_path: Path) -> None:
        """An os.PathLike is a filesystem path, never parsed as a URL."""
        assert parse_sqlite_url(tmp_path / "a.db").path == str(tmp_path / "a.db")

    def test_query_options(self) -> None:
        """synchronous and timeout are read from the query string."""
        location = parse_sqlite_url("sqlite:///run.db?synchronous=FULL&timeout=2.5")
        assert location == SQLiteLocation(path="run.db", synchronous="full", timeout=2.5)
        assert not location.in_memory
        assert parse_sqlite_url("sqlite://").in_memory

    @pytest.mark.parametrize(
        ("url", "complaint"),
        [
            ("", "empty"),
            ("sqlite://somehost/run.db", "no host"),
            ("sqlite:run.db", "three slashes"),
            ("sqlite:///run.db?synchronous=sometimes", "synchronous must be one of"),
            ("sqlite:///run.db?timeout=-1", "timeout must be"),
            ("sqlite:///run.db?timeout=soon", "timeout must be"),
            ("sqlite:///run.db?journal=delete", "unknown option 'journal'"),
            ("mysql://u@h/db", "unknown scheme 'mysql'"),
            ("http://h/x", "unknown scheme 'http'"),
            ("postgresql://h/db", "'postgresql' is not a SQLite URL"),
            ("postgresql:h/db", "two slashes after the scheme"),
            ("host=127.0.0.1 dbname=test", "libpq keyword string"),
            ("dbname=test", "libpq keyword string"),
        ],
    )
    def test_malformed_urls_are_config_errors(self, url: str, complaint: str) -> None:
        """Each malformed URL gets one ConfigError naming the URL, the problem and what is accepted."""
        with pytest.raises(ConfigError) as caught:
            parse_sqlite_url(url)
        message = str(caught.value)
        assert complaint in message
        assert repr(url) in message
        assert "sqlite:///relative/path.db" in message


class TestOpenStore:
    def test_sqlite_url_opens_a_sqlite_store(self, tmp_path: Path) -> None:
        """A sqlite:// URL with an absolute path opens a SQLiteStore whose url is printable."""
        url = f"sqlite:///{tmp_path / 'run.db'}"
        with open_store(url) as store:
            assert isinstance(store, SQLiteStore)
            assert store.url == url
        assert (tmp_path / "run.db").exists()

    def test_relative_url_is_relative_to_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """sqlite:///sub/run.db creates the file under the current directory."""
        monkeypatch.chdir(tmp_path)
        (tmp_path / "sub").mkdir()
        open_store("sqlite:///sub/run.db").close()
        assert (tmp_path / "sub" / "run.db").exists()

    def test_unknown_scheme_is_a_config_error_with_password_hidden(self) -> None:
        """An unknown scheme is refused with the URL shown redacted."""
        with pytest.raises(ConfigError) as caught:
            open_store("mongodb://admin:hunter2@db.example/x")
        assert "hunter2" not in str(caught.value)
        assert "mongodb://admin:***@db.example/x" in str(caught.value)

    @pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
    def test_postgres_without_its_backend_is_a_clear_error(
        self, scheme: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the PostgreSQL backend module, a postgres URL says so, password redacted."""
        monkeypatch.setitem(sys.modules, "omnimemory_kit.store.postgres", None)
        with pytest.raises(StoreUnavailableError) as caught:
            open_store(f"{scheme}://app:s3cret@db.example:5432/migrations")
        message = str(caught.value)
        assert "PostgreSQL backend is not available" in message
        assert "s3cret" not in message
        assert f"{scheme}://app:***@db.example:5432/migrations" in message


class TestNotAFilePath:
    """Strings that are no file name are refused before a SQLite file is made of them."""

    @pytest.mark.parametrize(
        "url",
        [
            "host=127.0.0.1 dbname=test password=secret",
            "host=127.0.0.1 port=5432",
            "dbname=test",
            "PASSWORD = secret",
            "mysql://root:secret@127.0.0.1/db",
            "http://127.0.0.1:8080/store",
        ],
    )
    def test_refused_and_nothing_created(
        self, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A libpq keyword string or an unknown scheme is a ConfigError; no file appears, no secret shows."""
        monkeypatch.chdir(tmp_path)
        with pytest.raises(ConfigError) as caught:
            open_store(url)
        assert "secret" not in str(caught.value)
        assert os.listdir(tmp_path) == []

    @pytest.mark.parametrize("name", ["a=b.db", "run 2.db", "key=value"])
    def test_odd_but_plain_file_names_still_work(self, name: str, tmp_path: Path) -> None:
        """One '=' without a libpq keyword, or a space without '=', is an ordinary file name."""
        assert parse_sqlite_url(str(tmp_path / name)).path == str(tmp_path / name)


class TestRedactURL:
    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("postgresql://app:s3cret@db:5432/x", "postgresql://app:***@db:5432/x"),
            ("postgresql://app:p%40ss%3Aw@db/x?sslmode=require", "postgresql://app:***@db/x?sslmode=require"),
            ("postgresql://app@db/x", "postgresql://app@db/x"),
            ("postgresql://db/x?user=app&password=s3cret", "postgresql://db/x?user=app&password=***"),
            ("host=db user=app password=s3cret dbname=x", "host=db user=app password=*** dbname=x"),
            ("host=db password='s3 cret' dbname=x", "host=db password=*** dbname=x"),
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            ("sqlite:////tmp/run.db", "sqlite:////tmp/run.db"),
            ("http://u:s3cret@[::1", "http://u:***@[::1"),
        ],
    )
    def test_passwords_are_hidden(self, url: str, shown: str) -> None:
        """Passwords in userinfo, query and keyword form become ***; everything else is kept."""
        assert redact_url(url) == shown

    def test_paths_are_returned_unchanged(self, tmp_path: Path) -> None:
        """A filesystem path has no password and comes back as its string."""
        assert redact_url(tmp_path / "run.db") == str(tmp_path / "run.db")


class TestParsePostgresURL:
    def test_schema_and_pool_size_are_ours_and_the_rest_goes_to_libpq(self) -> None:
        """``schema`` and ``pool_max`` are read off the URL; other query parameters stay in the conninfo."""
        location = parse_postgres_url(
            "postgresql://kit:pw@db.example:5433/runs?schema=team_a&pool_max=3&sslmode=require"
        )
        assert location == PostgresLocation(
            conninfo="postgresql://kit:pw@db.example:5433/runs?sslmode=require", schema="team_a", pool_max=3
        )

    def test_the_password_stays_out_of_the_repr(self) -> None:
        """A parsed location can be logged: its repr shows schema and pool size, never the conninfo."""
        location = parse_postgres_url("postgresql://kit:s3cret@db/runs?schema=team_a")
        assert "s3cret" not in repr(location)
        assert "team_a" in repr(location)

    def test_defaults(self) -> None:
        """Without options the schema is omnimemory_kit, the pool holds up to 10 connections, a transaction
        may stall 10 s and a lock wait lasts 20 s."""
        location = parse_postgres_url("postgres://db/runs")
        assert (location.schema, location.pool_max) == ("omnimemory_kit", 10)
        assert (location.stall_timeout, location.lock_timeout) == (10.0, 20.0)

    def test_stall_and_lock_timeouts_are_ours_in_seconds(self) -> None:
        """``stall_timeout`` and ``lock_timeout`` are read off the URL as seconds (0: no limit), not sent
        to libpq."""
        location = parse_postgres_url("postgresql://db/runs?stall_timeout=2.5&lock_timeout=0&sslmode=require")
        assert (location.stall_timeout, location.lock_timeout) == (2.5, 0.0)
        assert location.conninfo == "postgresql://db/runs?sslmode=require"

    @pytest.mark.parametrize(
        ("url", "complaint"),
        [
            ("postgresql://kit:s3cret@db/", "names no database"),
            ("postgresql://kit:s3cret@db/runs?pool_max=0", "pool_max"),
            ("postgresql://kit:s3cret@db/runs?stall_timeout=-1", "stall_timeout .* from 0 .* not '-1'"),
            ("postgresql://kit:s3cret@db/runs?stall_timeout=soon", "stall_timeout .* not 'soon'"),
            ("postgresql://kit:s3cret@db/runs?lock_timeout=nan", "lock_timeout .* not 'nan'"),
            ("postgresql://kit:s3cret@db/runs?lock_timeout=1e9", "lock_timeout .* to 86400"),
            ("postgresql://kit:s3cret@db/runs?schema=Team-A", "lower-case letters"),
            ("mysql://kit:s3cret@db/runs", "not a PostgreSQL URL"),
        ],
    )
    def test_malformed_urls_are_config_errors_without_the_password(self, url: str, complaint: str) -> None:
        """A bad URL is one ConfigError naming what is wrong, with the password hidden."""
        with pytest.raises(ConfigError, match=complaint) as caught:
            parse_postgres_url(url)
        assert "s3cret" not in str(caught.value)
        assert "kit:***@" in str(caught.value)


class TestPasswordNotEncoded:
    """A password holding '@', '/', '?', '#', '%' or a blank unencoded is refused, showing none of it.

    libpq ends the password at the first '@' and the host part at '/', '?' or '#': the rest of such a
    password became a host name, and the "cannot resolve host" error printed it.
    """

    SECRET = "Wr0ngPW99"

    @pytest.mark.parametrize(
        "password",
        [
            "Wr0ng@PW99",
            "Wr0ng@@PW99",
            "Wr0ng/PW99",
            "Wr0ng?PW99",
            "Wr0ng#PW99",
            "Wr0ng?x=1PW99",
            "Wr0ng@h/PW99",
            "Wr0ng%PW99",
            "Wr0ng PW99",
        ],
    )
    @pytest.mark.parametrize("rest", ["127.0.0.1/db", "127.0.0.1:5432/db?sslmode=disable"])
    def test_refused_without_a_fragment_of_the_password(self, password: str, rest: str) -> None:
        """The error says the password must be percent-encoded; no piece of it appears."""
        url = f"postgresql://alice:{password}@{rest}"
        with pytest.raises(ConfigError, match="the password must be percent-encoded") as caught:
            open_store(url)
        message = str(caught.value)
        for piece in ("Wr0ng", "PW99", "@@", "x=1"):
            assert piece not in message
        assert "alice" not in message  # where the user name ends cannot be told either: hidden too

    def test_the_encoded_form_is_accepted(self) -> None:
        """The same password percent-encoded parses, and reaches libpq encoded."""
        from urllib.parse import quote

        password = "Wr0ng@/?#% PW99"
        location = parse_postgres_url(f"postgresql://alice:{quote(password, safe='')}@db/runs")
        assert location.conninfo == "postgresql://alice:Wr0ng%40%2F%3F%23%25%20PW99@db/runs"

    @pytest.mark.parametrize(
        "url",
        [
            "postgresql://db/runs?user=me@example.com",
            "postgresql://kit:pw@db/runs?user=me@example.com",
            "postgresql://kit:pw@[::1]:5432/runs",
            "postgresql://kit:pw@h1:5432,h2:5433/runs",
            "postgresql://kit:pw@db:/runs",
        ],
    )
    def test_legitimate_forms_are_kept(self, url: str) -> None:
        """An '@' in a query value, IPv6 hosts, several hosts and an empty port are libpq's own forms."""
        parse_postgres_url(url)


class TestQuery:
    def test_a_parameter_without_a_value_is_refused_unseen(self) -> None:
        """'?password=ab&cd' (an unencoded '&' in a password) is refused; no part of the password shows."""
        with pytest.raises(ConfigError, match="a query parameter has no '='") as caught:
            open_store("postgresql://kit@db/runs?sslmode=disable&password=Wr0ng&PW99")
        assert "Wr0ng" not in str(caught.value)
        assert "PW99" not in str(caught.value)

    def test_blank_values_are_kept(self) -> None:
        """'name=' (an empty value) and a trailing '&' are libpq's to judge, as before."""
        location = parse_postgres_url("postgresql://kit@db/runs?application_name=&")
        assert location.conninfo == "postgresql://kit@db/runs?application_name="


class TestPort:
    @pytest.mark.parametrize("port", ["99999", "abc", "0", "-1", "65536", "\uff15\uff14\uff13\uff12"])
    def test_a_port_that_is_not_one_is_bad_input(self, port: str) -> None:
        """A port out of 1..65535 or not in ASCII digits is a ConfigError naming its host (exit 2, not 3)."""
        with pytest.raises(ConfigError, match="the port of host 'db' is not a port number from 1 to 65535"):
            open_store(f"postgresql://kit:s3cret@db:{port}/runs")

    @pytest.mark.parametrize("url", ["postgresql://alice:s3cret/runs", "postgresql://alice:804211/runs"])
    def test_a_password_without_its_host_is_not_shown_as_a_port(self, url: str) -> None:
        """With '@host' left out the password reads as a port: the error shows neither it nor the URL."""
        with pytest.raises(ConfigError, match="the port of host 'alice'") as caught:
            parse_postgres_url(url)
        assert "s3cret" not in str(caught.value)
        assert "804211" not in str(caught.value)

    def test_each_of_several_hosts_is_checked(self) -> None:
        """The second host's port is checked too, an IPv6 host's after its brackets."""
        with pytest.raises(ConfigError, match="the port of host 'h2'"):
            parse_postgres_url("postgresql://kit:s3cret@h1:5432,h2:70000/runs")
        with pytest.raises(ConfigError, match=r"the port of host '\[::1\]'"):
            parse_postgres_url("postgresql://kit:s3cret@[::1]:70000/runs")


class TestImports:
    def test_parsing_a_url_imports_neither_backend_nor_tracing(self) -> None:
        """``store.url`` on its own (its packages' ``__init__`` bypassed) loads no backend, opener,
        observability module or OpenTelemetry."""
        code = textwrap.dedent(
            f"""
            import sys, types
            packages = {{"omnimemory_kit": {str(PACKAGE)!r}}}
            packages["omnimemory_kit.store"] = packages["omnimemory_kit"] + "/store"
            for name, folder in packages.items():
                module = types.ModuleType(name)
                module.__path__ = [folder]
                sys.modules[name] = module
            from omnimemory_kit.store.url import parse_postgres_url, parse_sqlite_url
            parse_sqlite_url("sqlite:///run.db")
            parse_postgres_url("postgresql://kit:pw@db/runs")
            print(sorted(m for m in sys.modules if m.startswith(("omnimemory_kit", "opentelemetry"))))
            """
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        loaded = ast.literal_eval(done.stdout.strip())
        assert loaded == [
            "omnimemory_kit",
            "omnimemory_kit.errors",
            "omnimemory_kit.redaction",
            "omnimemory_kit.store",
            "omnimemory_kit.store.url",
        ]
