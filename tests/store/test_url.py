"""Store URLs: parsing, dispatch by scheme, and password redaction."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from omnimemory_kit.errors import ConfigError, StoreUnavailableError
from omnimemory_kit.store import SQLiteStore, open_store, redact_url
from omnimemory_kit.store.url import SQLiteLocation, parse_sqlite_url


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
            ("mysql://u@h/db", "'mysql' is not a SQLite URL"),
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
