"""Reports: execute a notebook headlessly with papermill and render it to an HTML page that works offline.

``run_report("migration_report", {"run_id": "demo"})`` validates the parameters first (bundled notebooks
have a pydantic model in ``omnimemory_kit.notebook.params``), executes the notebook in a fresh kernel and
writes ``reports/<notebook>/<UTC timestamp>.ipynb`` and ``.html``, then refreshes ``reports/index.html``.

The HTML renders with no network. The report kernel draws figures without plotly.js (the kit's report
renderer); the page brings it: by default one shared ``reports/_static/plotly-<version>.min.js`` referenced
relatively (a report is then a few hundred kilobytes instead of 5 MB), or inlined with
``self_contained=True`` (one file to mail). The template loads no script from a CDN (no require.js,
MathJax, Mermaid or widget manager), widgets are dropped (their views need a CDN; reports show static
figures and tables). ``prune_reports`` (``keep``/``max_age_days`` of ``run_report``) deletes old reports
and refreshes the index. User-controlled text is escaped:
the notebooks display tables through pandas (escaped) and figures escape their labels; the index and the
banner of each report escape everything they show. Passwords in parameters (store URLs, DSNs) are
redacted in the executed notebook, the banner and the index.

A notebook that raises still produces its ``.ipynb`` and ``.html`` (showing the error) and a result with
status ``failed``; the CLI exits non-zero for it. Each executed notebook carries its own facts in
``metadata.omnimemory_kit`` (notebook, parameters, status, error, times, user, host), and the values it
recorded with ``record()``; ``collect_reports`` gathers them into a DataFrame.

Seams, in file order: executing a notebook (``run_report`` and the kernel helpers); rendering it to HTML
(``render_html``, the banner, the stylesheet and the plotly.js head); retention (``prune_reports``); the
collection and the index (``collect_reports``, ``write_index`` with the run ledger's links). The last two
are the ones to move out when this file grows again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import getpass
import hashlib
import html
import json
import logging
import math
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat
import pandas as pd
from nbformat.warnings import MissingIDFieldWarning

from omnimemory_kit.errors import ConfigError, KitError, NotebookParameterError, ReportError
from omnimemory_kit.notebook.params import parameter_model
from omnimemory_kit.notebook.record import RECORD_MIMETYPE, read_records
from omnimemory_kit.notebook.runtime import REPORT_ENV
from omnimemory_kit.observability import redact, redact_mapping
from omnimemory_kit.store import open_store
from omnimemory_kit.store.base import ReportLink
from omnimemory_kit.store.ledger import ORIGIN_ENV, ledger
from omnimemory_kit.text import printable

__all__ = [
    "STATIC_DIR",
    "ReportResult",
    "collect_reports",
    "find_notebook",
    "plotly_js_name",
    "prune_reports",
    "render_html",
    "run_report",
    "write_index",
]

ReportStatus = Literal["succeeded", "failed"]

logger = logging.getLogger(__name__)

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_METADATA_KEY = "omnimemory_kit"
_WIDGET_MIMETYPES = ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json")
_ENV_LOCK = threading.Lock()
_WIDGET_NOTE = "<p><em>(An interactive widget was here: open the notebook in JupyterLab to use it.)</em></p>"

_TEMPLATE_NAME = "omnimemory_report.html.j2"
# The lab template minus every script it would load from a CDN, with plotly.js brought once in the head, the
# kit's small stylesheet instead of JupyterLab's 240 KB one, and a banner with the report's facts.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block notebook_css %}
<style type="text/css">{{ resources.omnimemory_css }}</style>
{% endblock notebook_css %}
{%- block html_head_js_requirejs -%}{{ resources.omnimemory_head_js }}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
.omk-banner { font-family: var(--jp-ui-font-family, sans-serif); margin: 12px 20px; padding: 10px 14px;
  border-left: 6px solid #2ca02c; background: #f6f8fa; }
.omk-banner.failed { border-left-color: #d62728; background: #fdf0f0; }
.omk-banner h1 { font-size: 1.3em; margin: 0 0 6px 0; }
.omk-banner dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0; }
.omk-banner dt { font-weight: 600; color: #444; }
.omk-banner dd { margin: 0; font-family: var(--jp-code-font-family, monospace); word-break: break-all; }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.omnimemory_banner }}
{%- endblock body_header -%}
"""


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What one report execution produced.

    Attributes:
        notebook: the notebook's name (file name without ``.ipynb``).
        status: ``succeeded`` or ``failed`` (the notebook raised, or the kernel died).
        ipynb: the executed notebook.
        html: the rendered page.
        parameters: the parameters passed to papermill (validated).
        started_at: when execution started (UTC).
        duration_s: seconds from start to the HTML being written.
        error: ``Type: message`` of what failed, or None.
        user: who ran it.
        host: on which machine.
        records: the values the notebook recorded with ``record()``.
    """

    notebook: str
    status: ReportStatus
    ipynb: Path
    html: Path
    parameters: Mapping[str, Any]
    started_at: dt.datetime
    duration_s: float
    error: str | None = None
    user: str = ""
    host: str = ""
    records: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return whether the notebook ran to its end."""
        return self.status == "succeeded"


def find_notebook(notebook: str | os.PathLike[str]) -> Path:
    """Return the path of a notebook given as a path or as a bundled name (``migration_report``).

    Looks at the path itself, then ``./notebooks/<name>.ipynb``, then the kit's own ``notebooks/``.

    Raises:
        ConfigError: no such notebook (naming where it looked).
    """
    given = Path(notebook)
    name = given.name if given.suffix == ".ipynb" else f"{given.name}.ipynb"
    candidates = [given, Path.cwd() / "notebooks" / name, _PACKAGE_ROOT / "notebooks" / name]
    for candidate in candidates:
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates if c.suffix == ".ipynb")
    raise ConfigError(f"notebook {str(notebook)!r} not found (looked at {looked})")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _timestamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


@contextlib.contextmanager
def _kernel_environment(origin: str) -> Iterator[None]:
    """Set, for the kernel papermill starts (it inherits os.environ), report mode, this kit's path and
    the origin a run started by the notebook records in the ledger."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in (REPORT_ENV, "PLOTLY_RENDERER", "PYTHONPATH", ORIGIN_ENV)}
        os.environ[REPORT_ENV] = "1"
        os.environ[ORIGIN_ENV] = origin
        os.environ["PLOTLY_RENDERER"] = "notebook"
        # the kernel must import the same omnimemory_kit as this process, installed or not
        paths = [str(_PACKAGE_ROOT), *filter(None, (saved["PYTHONPATH"] or "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _execute(source: Path, target: Path, parameters: Mapping[str, Any], timeout: float | None) -> str | None:
    """Execute ``source`` into ``target`` with papermill; return ``Type: message`` if it failed."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        with _kernel_environment(f"notebook {source}"):
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=dict(parameters),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
                # the kernel's own log (unencrypted-TCP notice, interrupt on failure) is noise here
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
    except PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # a dead kernel or a timeout: still render what we have
        return f"{type(exc).__name__}: {exc}"
    return None


Notebook = dict[str, Any]


def _check_utf8(notebook: str, parameters: dict[str, Any]) -> None:
    """Refuse a text parameter a notebook file cannot hold (a path that is not valid UTF-8)."""
    for key, value in parameters.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise NotebookParameterError(
                    notebook,
                    key,
                    f"'{printable(value)}' is not valid UTF-8 text, which a notebook cannot hold "
                    f"(rename the folder, or point to it through a link with a plain name)",
                ) from None


def _read_notebook(path: str | os.PathLike[str]) -> Notebook:
    """Read an .ipynb as plain JSON (nbformat 4)."""
    with open(path, encoding="utf-8") as handle:
        nb: Notebook = json.load(handle)
    return nb


def _write_notebook(nb: Notebook, path: str | os.PathLike[str]) -> None:
    """Write an .ipynb the way Jupyter does (indent 1, sorted keys, UTF-8)."""
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def _strip_for_html(nb: Notebook) -> Notebook:
    """Return a copy without widgets (they need a CDN), recorded values (invisible) and plotly.js copies.

    A notebook executed with Plotly's own ``notebook`` renderer carries plotly.js in its first figure's
    cell; the page brings plotly.js itself, so that copy would only double the page.
    """
    clean: Notebook = json.loads(json.dumps(nb))
    clean.get("metadata", {}).pop("widgets", None)
    for cell in clean.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None:
                if RECORD_MIMETYPE in data or _is_plotly_bundle(data):
                    continue
                if any(mimetype in data for mimetype in _WIDGET_MIMETYPES):
                    # a widget's view needs a live kernel and a CDN: say so instead of its repr
                    output["data"] = {"text/html": _WIDGET_NOTE}
                    output["metadata"] = {}
            kept.append(output)
        cell["outputs"] = kept
    return clean


def _is_plotly_bundle(data: Mapping[str, Any]) -> bool:
    markup = data.get("text/html", "")
    text = "".join(markup) if isinstance(markup, list) else str(markup)
    return len(text) >= _PLOTLY_BUNDLE_MIN_CHARS and _PLOTLY_BUNDLE_MARKER in text[:2000]


def _redact_parameters(nb: Notebook) -> None:
    """Hide passwords papermill wrote into the notebook (the injected cell, metadata) and in errors."""
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            cell["source"] = redact(text)
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            # an exception's message may quote a URL with its password
            if output.get("output_type") == "error":
                output["evalue"] = redact(str(output.get("evalue", "")))
                output["traceback"] = [redact(str(line)) for line in output.get("traceback", [])]
    papermill_meta = nb.get("metadata", {}).get("papermill", {})
    if isinstance(papermill_meta.get("parameters"), dict):
        papermill_meta["parameters"] = redact_mapping(papermill_meta["parameters"])


def _banner(facts: Mapping[str, Any]) -> str:
    """Return the escaped HTML banner that opens a report: what ran, with what, how it went."""
    status = str(facts.get("status", ""))
    rows = [
        ("Status", status),
        ("Started", facts.get("started_at", "")),
        ("Duration", f"{float(facts.get('duration_s') or 0.0):.1f} s"),
        ("Run by", f"{facts.get('user', '')} on {facts.get('host', '')}"),
        ("Parameters", json.dumps(facts.get("parameters", {}), sort_keys=True, default=str)),
    ]
    if facts.get("error"):
        rows.append(("Error", facts["error"]))
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
    css = "omk-banner failed" if status != "succeeded" else "omk-banner"
    title = html.escape(f"{facts.get('notebook', 'report')} report")
    return f'<header class="{css}"><h1>{title}</h1><dl>{items}</dl></header>'


#: The folder, inside a reports directory, holding what every report shares (plotly.js).
STATIC_DIR = "_static"
_PLOTLY_WINDOW_CONFIG = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
# what plotly's own notebook renderer writes once per notebook: its plotly.js copy (old executed notebooks)
_PLOTLY_BUNDLE_MARKER = "window.PlotlyConfig"
_PLOTLY_BUNDLE_MIN_CHARS = 100_000


@functools.cache
def _stylesheet() -> str:
    """Return the report page's stylesheet (shipped beside this module)."""
    return (Path(__file__).resolve().parent / "report.css").read_text(encoding="utf-8")


def plotly_js_name() -> str:
    """Return the shared plotly.js file's name for the installed Plotly, e.g. ``plotly-3.1.1.min.js``."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


@functools.cache
def _plotly_js_size() -> int:
    """Return the size in bytes of the installed plotly.js (read once: it is 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return len(get_plotlyjs().encode("utf-8"))


def _shared_plotly_js(static_dir: Path) -> Path:
    """Return ``static_dir/plotly-<version>.min.js``, written first when missing or incomplete."""
    from plotly.offline import get_plotlyjs

    path = static_dir / plotly_js_name()
    if path.is_file() and path.stat().st_size == _plotly_js_size():
        return path
    static_dir.mkdir(parents=True, exist_ok=True)
    # written aside and renamed: a report opened meanwhile never loads half a library
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(get_plotlyjs().encode("utf-8"))
    partial.replace(path)
    return path


def _draws_figures(nb: Notebook) -> bool:
    """Return whether any output of the notebook draws a Plotly figure (the page then needs plotly.js)."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            markup = (output.get("data") or {}).get("text/html", "")
            text = "".join(markup) if isinstance(markup, list) else str(markup)
            if "Plotly.newPlot" in text:
                return True
    return False


def _plotly_head(nb: Notebook, target: Path, static_dir: Path | None) -> str:
    """Return the ``<head>`` scripts that bring plotly.js: a relative link to the shared copy, or inline."""
    if not _draws_figures(nb):
        return ""
    if static_dir is None:
        from plotly.offline import get_plotlyjs

        # "</script" cannot occur inside an inline script; plotly.js has none, but never trust that
        inline = get_plotlyjs().replace("</script", "<\\/script")
        return f"{_PLOTLY_WINDOW_CONFIG}\n<script>{inline}</script>"
    shared = _shared_plotly_js(static_dir)
    href = Path(os.path.relpath(shared.resolve(), target.resolve().parent)).as_posix()
    return f'{_PLOTLY_WINDOW_CONFIG}\n<script src="{html.escape(href, quote=True)}"></script>'


def render_html(
    ipynb: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    no_input: bool = False,
    static_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Render an executed notebook to an HTML page at ``target`` that renders offline; return its path.

    Args:
        ipynb: the executed notebook.
        target: where to write the page.
        no_input: hide code cells' input (show only outputs and Markdown).
        static_dir: where the shared ``plotly-<version>.min.js`` lives (written there when missing); the
            page links it by a relative path. None (the default) inlines plotly.js: one self-contained
            file, about 5 MB. Either way plotly.js is only brought when the notebook draws a figure.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = _read_notebook(ipynb)
    facts = dict(nb.get("metadata", {}).get(_METADATA_KEY, {}))
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=no_input,
        exclude_input_prompt=no_input,
        exclude_output_prompt=no_input,
    )
    out = Path(target)
    clean = _strip_for_html(nb)
    resources = {
        "omnimemory_banner": _banner(facts) if facts else "",
        "omnimemory_css": _stylesheet(),
        "omnimemory_head_js": _plotly_head(clean, out, None if static_dir is None else Path(static_dir)),
        "metadata": {"name": f"{facts.get('notebook', Path(ipynb).stem)} report"},
    }
    with warnings.catch_warnings():
        # an older notebook without cell ids renders fine; the warning would only be noise here
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        node = nbformat.reads(json.dumps(clean), as_version=4)  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(node, resources=resources)
    out.write_text(body, encoding="utf-8")
    return out


def _check_declared(source: Path, given: Mapping[str, Any]) -> None:
    """Refuse a parameter the notebook's ``parameters`` cell does not declare (papermill only warns)."""
    import papermill

    try:
        declared = papermill.inspect_notebook(str(source))
    except Exception:  # no kernelspec or an unparsable cell: papermill will still run it; skip the check
        return
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise NotebookParameterError(source.stem, name, f"unknown parameter; the parameters are {known}")


def run_report(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    no_input: bool = False,
    validate: bool = True,
    timeout: float | None = None,
    now: dt.datetime | None = None,
    self_contained: bool = False,
    keep: int | None = None,
    max_age_days: float | None = None,
) -> ReportResult:
    """Execute a notebook with papermill and render it to HTML; prune old reports; refresh the index.

    Args:
        notebook: a bundled notebook's name (``migration_report``) or a path to one.
        parameters: values for the notebook's ``parameters`` cell (typed values, not strings).
        out_dir: the reports directory; files go to ``<out_dir>/<notebook>/<UTC timestamp>.*``.
        no_input: hide code in the HTML.
        validate: check the parameters with the notebook's model before starting a kernel.
        timeout: seconds any one cell may run (None: no limit).
        now: the start time to name the files after (default: now, UTC).
        self_contained: inline plotly.js (one file of about 5 MB, to mail) instead of linking the copy
            shared by every report in ``<out_dir>/_static/``.
        keep: afterwards keep only this many newest reports of this notebook (see ``prune_reports``).
        max_age_days: afterwards delete reports of any notebook started longer ago than this.

    Returns:
        The result, with status ``failed`` when the notebook raised (its HTML shows the error).

    Raises:
        NotebookParameterError: a parameter is unknown or invalid (nothing is executed).
        ConfigError: the notebook does not exist, or ``keep``/``max_age_days`` is invalid (nothing is
            executed).
        ReportError: the report could not be written.
    """
    _check_retention(keep, max_age_days)
    source = find_notebook(notebook)
    name = source.stem
    given = dict(parameters or {})
    model = parameter_model(name)
    if validate and model is not None:
        validated = model.validate_parameters(given)
        given = {key: getattr(validated, key) for key in given}
    elif validate and given:
        _check_declared(source, given)
    _check_utf8(name, given)
    started = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    folder = Path(out_dir) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the reports directory {folder}: {exc}") from exc
    stem = _timestamp(started)
    ipynb, page = folder / f"{stem}.ipynb", folder / f"{stem}.html"
    clock_start = time.perf_counter()
    error = _execute(source, ipynb, given, timeout)
    error = redact(error) if error is not None else None
    if not ipynb.exists() or ipynb.stat().st_size == 0:
        # papermill died before writing anything (or while writing): keep the source with the error
        nb = _read_notebook(source)
        note = f"**This report failed before it ran:** {html.escape(str(error))}"
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": note})
        _write_notebook(nb, ipynb)
    nb = _read_notebook(ipynb)
    _redact_parameters(nb)
    records = read_records(nb)
    facts: dict[str, Any] = {
        "notebook": name,
        "source": str(source),
        "parameters": redact_mapping(json.loads(json.dumps(given, default=str))),
        "status": "failed" if error else "succeeded",
        "error": error,
        "started_at": started.isoformat(),
        "duration_s": round(time.perf_counter() - clock_start, 3),
        "user": _user(),
        "host": socket.gethostname(),
        "html": page.name,
        "no_input": no_input,
    }
    run = _link_to_run(given, page, started)
    if run is not None:
        facts["run"] = run
    nb.setdefault("metadata", {})[_METADATA_KEY] = facts
    try:
        _write_notebook(nb, ipynb)
        static_dir = None if self_contained else Path(out_dir) / STATIC_DIR
        render_html(ipynb, page, no_input=no_input, static_dir=static_dir)
        if keep is not None or max_age_days is not None:
            # the index is written once, below; the report just written is never pruned
            _prune(Path(out_dir), name, keep, max_age_days, started, protect={ipynb})
        write_index(out_dir)
    except OSError as exc:
        raise ReportError(f"cannot write the report {page}: {exc}") from exc
    return ReportResult(
        notebook=name,
        status=facts["status"],
        ipynb=ipynb,
        html=page,
        parameters=facts["parameters"],
        started_at=started,
        duration_s=float(facts["duration_s"]),
        error=error,
        user=facts["user"],
        host=facts["host"],
        records=records,
    )


_RUN_FACTS = ("run_id", "operator", "origin", "function", "params_hash", "correlation_id", "previous_run",
              "next_run")  # fmt: skip


def _link_to_run(parameters: Mapping[str, Any], page: Path, started: dt.datetime) -> dict[str, Any] | None:
    """Record the report with the run it was made from (when it names one); return the run's ledger facts.

    A store that cannot be reached or holds no such run leaves the report as it is (it is still written,
    only without its run): the report must not be lost to a ledger it could not reach.
    """
    run_id, store_url = parameters.get("run_id"), parameters.get("store_url")
    if not isinstance(run_id, str) or not isinstance(store_url, str):
        return None
    try:
        with open_store(store_url, create=False) as store:
            store.add_report(run_id, ReportLink(str(page), started.timestamp()))
            entry = next((e for e in ledger(store) if e.run_id == run_id), None)
    except KitError as exc:
        logger.warning("report %s: not recorded with run %r (%s)", page, run_id, redact(str(exc)))
        return None
    if entry is None:
        return None
    return {key: getattr(entry, key) for key in _RUN_FACTS}


def _check_retention(keep: int | None, max_age_days: float | None) -> None:
    """Refuse a retention setting that would make no sense (before anything runs or is deleted)."""
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise ConfigError(f"keep must be a whole number of reports, at least 1, not {keep!r}")
    if max_age_days is not None and (
        isinstance(max_age_days, bool)
        or not isinstance(max_age_days, int | float)
        or not math.isfinite(max_age_days)
        or max_age_days <= 0
    ):
        raise ConfigError(f"max_age_days must be a positive number of days, not {max_age_days!r}")


def _report_started(path: Path) -> dt.datetime | None:
    """Return when the report of an executed notebook started (its facts, else its file name), or None."""
    try:
        facts = _read_notebook(path).get("metadata", {}).get(_METADATA_KEY)
    except (OSError, ValueError):
        facts = None
    text = str(facts.get("started_at") or "") if isinstance(facts, dict) else ""
    for value, parse in ((text, dt.datetime.fromisoformat), (path.stem, _parse_timestamp)):
        try:
            moment = parse(value)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return None


def _parse_timestamp(stem: str) -> dt.datetime:
    return dt.datetime.strptime(stem, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)


def _delete_report(ipynb: Path) -> list[Path]:
    """Delete an executed notebook and its page; return what was deleted."""
    gone = []
    for path in (ipynb.with_suffix(".html"), ipynb):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            gone.append(path)
    return gone


def _prune_static(root: Path) -> list[Path]:
    """Delete shared plotly.js copies of other versions that no remaining page links to."""
    static = root / STATIC_DIR
    current = plotly_js_name()
    stale = [p for p in static.glob("plotly-*.min.js") if p.name != current] if static.is_dir() else []
    if not stale:
        return []
    pages = [p.read_text(encoding="utf-8", errors="replace") for p in root.glob("*/*.html")]
    unused = [p for p in stale if not any(f"{STATIC_DIR}/{p.name}" in page for page in pages)]
    for path in unused:
        path.unlink(missing_ok=True)
    return unused


def _prune(
    root: Path,
    notebook: str | None,
    keep: int | None,
    max_age_days: float | None,
    now: dt.datetime,
    protect: set[Path],
) -> list[Path]:
    """Delete the reports ``keep`` (per notebook, or of ``notebook`` only) and ``max_age_days`` rule out."""
    deleted: list[Path] = []
    cutoff = None if max_age_days is None else now - dt.timedelta(days=max_age_days)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != STATIC_DIR):
        limit = keep if notebook is None or folder.name == notebook else None
        dated = [(_report_started(p), p) for p in folder.glob("*.ipynb")]
        # newest first; a report whose time cannot be read counts as the oldest
        dated.sort(key=lambda pair: (pair[0] is not None, pair[0] or now, pair[1].name), reverse=True)
        for position, (started, path) in enumerate(dated):
            too_many = limit is not None and position >= limit
            too_old = cutoff is not None and (started is None or started < cutoff)
            if (too_many or too_old) and path not in protect:
                deleted += _delete_report(path)
    return deleted + _prune_static(root)


def prune_reports(
    out_dir: str | os.PathLike[str] = "reports",
    *,
    keep: int | None = None,
    max_age_days: float | None = None,
    notebook: str | None = None,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Delete old reports (their ``.ipynb`` and ``.html``), refresh the index, return the deleted files.

    Args:
        out_dir: the reports directory.
        keep: keep this many newest reports per notebook (of ``notebook`` only, when given).
        max_age_days: delete every report started longer ago than this many days.
        notebook: limit ``keep`` to this notebook's reports.
        now: the moment ages are measured from (default: now, UTC).

    A shared plotly.js of an older Plotly is deleted once no remaining page links to it.

    Raises:
        ConfigError: ``keep`` below 1 or not a whole number, ``max_age_days`` not a positive number.
    """
    _check_retention(keep, max_age_days)
    root = Path(out_dir)
    if not root.is_dir():
        return []
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    deleted = _prune(root, notebook, keep, max_age_days, moment, protect=set())
    write_index(root)
    return deleted


_COLUMNS = [
    "started_at",
    "notebook",
    "status",
    "duration_s",
    "user",
    "host",
    "parameters",
    "error",
    "records",
    "ipynb",
    "html",
    "run",
]


def collect_reports(out_dir: str | os.PathLike[str] = "reports") -> pd.DataFrame:
    """Return one row per executed report under ``out_dir``, newest first.

    Columns: ``started_at`` (UTC datetime), ``notebook``, ``status``, ``duration_s``, ``user``, ``host``,
    ``parameters`` (dict), ``error``, ``records`` (dict of recorded values), ``ipynb`` and ``html`` (paths),
    ``run`` (the ledger facts of the run the report was made from, or None),
    then one ``param.<name>`` and one ``record.<name>`` column per parameter and recorded value seen.
    Notebooks that are not kit reports (no ``metadata.omnimemory_kit``) are skipped.
    """
    rows: list[dict[str, Any]] = []
    root = Path(out_dir)
    for path in sorted(root.glob("*/*.ipynb")) if root.is_dir() else []:
        try:
            nb = _read_notebook(path)
        except (OSError, ValueError):
            continue
        facts = nb.get("metadata", {}).get(_METADATA_KEY)
        if not isinstance(facts, dict):
            continue
        parameters = facts.get("parameters") or {}
        records = read_records(nb)
        row = {
            "started_at": pd.to_datetime(str(facts.get("started_at") or ""), utc=True, errors="coerce"),
            "notebook": facts.get("notebook", path.parent.name),
            "status": facts.get("status", "unknown"),
            "duration_s": facts.get("duration_s"),
            "user": facts.get("user", ""),
            "host": facts.get("host", ""),
            "parameters": parameters,
            "error": facts.get("error"),
            "records": records,
            "ipynb": str(path),
            "html": str(path.with_name(facts.get("html") or f"{path.stem}.html")),
            "run": facts.get("run") if isinstance(facts.get("run"), dict) else None,
        }
        row.update({f"param.{k}": v for k, v in parameters.items()})
        row.update({f"record.{k}": v for k, v in records.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else _COLUMNS)
    if rows:
        frame = frame.sort_values("started_at", ascending=False, kind="stable").reset_index(drop=True)
    return frame


_INDEX_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f6f8fa; }
td.params { font-family: ui-monospace, monospace; word-break: break-all; max-width: 40em; }
.succeeded { color: #2ca02c; font-weight: 600; }
.failed { color: #d62728; font-weight: 600; }
.empty { color: #666; font-style: italic; }
"""


_EMPTY_INDEX_ROW = (
    '<tr><td colspan="9" class="empty">No reports yet: run '
    "<code>omnimemory-kit report NOTEBOOK</code>.</td></tr>"
)


def _index_row(report: Mapping[str, Any]) -> str:
    """Return one escaped table row of the index for a ``collect_reports`` row."""
    page = Path(str(report["html"]))
    href = html.escape(f"{page.parent.name}/{page.name}", quote=True)
    nb_href = html.escape(f"{page.parent.name}/{Path(str(report['ipynb'])).name}", quote=True)
    started = report["started_at"]
    when = started.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(started, pd.Timestamp) else ""
    parameters = report["parameters"]
    params = json.dumps(parameters, sort_keys=True, default=str) if parameters else "(defaults)"
    status = html.escape(str(report["status"]))
    error_text = report["error"]
    error = (
        f"<br><small>{html.escape(error_text)}</small>" if isinstance(error_text, str) and error_text else ""
    )
    seconds = report["duration_s"]
    duration = f"{float(seconds):.1f} s" if isinstance(seconds, int | float) else ""
    return (
        "<tr>"
        f'<td><a href="{href}">{html.escape(when)}</a></td>'
        f"<td>{html.escape(str(report['notebook']))}</td>"
        f'<td class="{status}">{status}{error}</td>'
        f"<td>{_run_cell(report.get('run'))}</td>"
        f"<td>{html.escape(duration)}</td>"
        f'<td class="params">{html.escape(params)}</td>'
        f"<td>{html.escape(str(report['user']))}</td>"
        f"<td>{html.escape(str(report['host']))}</td>"
        f'<td><a href="{href}">HTML</a> · <a href="{nb_href}">notebook</a></td>'
        "</tr>"
    )


def _run_anchor(run_id: str) -> str:
    """Return the id of a run's row in the index's ledger table (any text, made a safe fragment)."""
    return "run-" + hashlib.sha256(run_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _run_cell(run: object) -> str:
    """Return the escaped link from a report's row to its run's row in the ledger table ("" for none)."""
    if not isinstance(run, dict) or not isinstance(run.get("run_id"), str):
        return ""
    run_id = run["run_id"]
    return f'<a href="#{_run_anchor(run_id)}">{html.escape(printable(run_id))}</a>'


def _ledger_table(runs: list[dict[str, Any]]) -> str:
    """Return the index's table of the runs reports were made from (latest facts per run), escaped."""
    if not runs:
        return ""
    rows = []
    for run in runs:
        cells = "".join(
            f"<td>{html.escape(printable(str(run.get(key) or '-')))}</td>"
            for key in ("operator", "function", "origin", "correlation_id", "previous_run", "next_run")
        )
        digest = html.escape(str(run.get("params_hash") or "")[:16])
        run_id = str(run["run_id"])
        rows.append(
            f'<tr id="{_run_anchor(run_id)}"><td>{html.escape(printable(run_id))}</td>{cells}'
            f'<td class="params">{digest}</td></tr>'
        )
    return (
        "<h2>Runs</h2><p>The runs these reports were made from (<code>omnimemory-kit runs</code> lists them "
        "all).</p><table><thead><tr><th>Run</th><th>Operator</th><th>Function</th><th>Origin</th>"
        "<th>Correlation id</th><th>Previous run</th><th>Next run</th><th>Params hash</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def write_index(out_dir: str | os.PathLike[str] = "reports") -> Path:
    """Write ``<out_dir>/index.html`` listing every report, newest first, and return its path.

    Each row shows the time, notebook, status, the run it was made from (linked to that run's row in the
    ledger table below), duration, parameters, who ran it and where, and links to the HTML and the
    executed notebook. Every value is HTML-escaped.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    frame = collect_reports(root)
    rows = [_index_row({str(k): v for k, v in r.items()}) for r in frame.to_dict(orient="records")]
    body = "".join(rows) if rows else _EMPTY_INDEX_ROW
    runs: dict[str, dict[str, Any]] = {}
    for run in frame.get("run", ()):
        if isinstance(run, dict) and isinstance(run.get("run_id"), str):
            runs.setdefault(run["run_id"], run)  # newest report first: its facts are the latest
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    markup = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>omnimemory-kit reports</title><style>{_INDEX_STYLE}</style></head><body>"
        f"<h1>omnimemory-kit reports</h1><p>{len(rows)} report(s), newest first. Updated {generated}.</p>"
        "<table><thead><tr><th>Time</th><th>Notebook</th><th>Status</th><th>Run</th><th>Duration</th>"
        "<th>Parameters</th><th>Run by</th><th>Host</th><th>Files</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{_ledger_table(list(runs.values()))}</body></html>\n"
    )
    index = root / "index.html"
    index.write_text(markup, encoding="utf-8")
    return index
