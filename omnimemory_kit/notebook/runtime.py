"""Helpers for code running inside a Jupyter kernel: the Plotly renderer, displays, and a sync facade.

``run_sync`` (from ``omnimemory_kit.migration.sync``) is the sync facade: inside a running loop it runs
the coroutine on a fresh loop in a worker thread, never patching the kernel's loop.

The Plotly renderer is chosen on purpose. Under a kernel Plotly >= 6 defaults to ``plotly_mimetype``,
whose output nbconvert drops (a report with no chart); ``notebook_connected`` needs a CDN (no chart
offline). ``notebook`` inlines plotly.js once per notebook and renders offline, but each figure still
carries a MathJax ``<script src>`` from a CDN; ``OfflineNotebookRenderer`` is the same without it. An
interactive session uses ``plotly_mimetype`` + that renderer: JupyterLab draws the mimetype, and the same
output still carries HTML that nbconvert keeps. A report kernel uses ``ReportRenderer``: the figures
without any copy of plotly.js, which the report page brings once (shared beside the reports, or inlined).
"""

from __future__ import annotations

import html
import os
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import NotebookRenderer

from omnimemory_kit.migration.sync import run_sync as run_sync
from omnimemory_kit.notebook.tables import table_html

__all__ = [
    "OFFLINE_RENDERER",
    "REPORT_ENV",
    "REPORT_RENDERER",
    "OfflineNotebookRenderer",
    "ReportRenderer",
    "configure_plotly",
    "display",
    "in_report",
    "run_sync",
    "show",
    "show_html",
    "show_table",
]

T = TypeVar("T")

#: Set to ``1`` in a kernel that executes a report (``omnimemory-kit report`` does it).
REPORT_ENV = "OMNIMEMORY_KIT_REPORT"

#: The name under which ``OfflineNotebookRenderer`` is registered with Plotly.
OFFLINE_RENDERER = "omnimemory_notebook"
#: The name under which ``ReportRenderer`` is registered with Plotly.
REPORT_RENDERER = "omnimemory_report"
_INTERACTIVE_RENDERER = f"plotly_mimetype+{OFFLINE_RENDERER}"
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_DEFAULT_HEIGHT = 420


class OfflineNotebookRenderer(NotebookRenderer):  # type: ignore[misc]
    """Plotly's ``notebook`` renderer without its per-figure MathJax ``<script src>`` from a CDN.

    plotly.js is inlined once per notebook (on the first figure), each figure is a small ``text/html``
    output, and nothing is loaded from the network, so the HTML report renders offline.
    """

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        """Return the figure as HTML that needs no network (plotly.js comes from the first output)."""
        markup = pio.to_html(
            fig_dict,
            config=self.config,
            auto_play=self.auto_play,
            include_plotlyjs=False,
            include_mathjax=False,
            post_script=self.post_script,
            full_html=False,
            animation_opts=self.animation_opts,
            default_width="100%",
            default_height=_DEFAULT_HEIGHT,
            validate=False,
        )
        return {"text/html": markup}


class ReportRenderer(OfflineNotebookRenderer):
    """The offline renderer without its one inlined copy of plotly.js (4.8 MB in every executed notebook).

    The report page loads plotly.js in its ``<head>`` (see ``omnimemory_kit.reports.render_html``), so the
    executed notebook stays small and every figure finds ``Plotly`` when its script runs.
    """

    def activate(self) -> None:
        """Write nothing: the page that shows these figures brings plotly.js."""


def in_report() -> bool:
    """Return whether this kernel executes a headless report (``OMNIMEMORY_KIT_REPORT=1``)."""
    return os.environ.get(REPORT_ENV, "") == "1"


def configure_plotly(renderer: str | None = None) -> None:
    """Choose the Plotly renderer for this kernel (``plotly.io.renderers.default`` tells which).

    Args:
        renderer: force a renderer. By default a report uses ``ReportRenderer``; otherwise
            ``PLOTLY_RENDERER`` wins if set, else ``plotly_mimetype`` (drawn by JupyterLab) plus the
            offline HTML (kept by nbconvert) in one output.
    """
    if OFFLINE_RENDERER not in pio.renderers:
        pio.renderers[OFFLINE_RENDERER] = OfflineNotebookRenderer(config=_PLOT_CONFIG)
    if REPORT_RENDERER not in pio.renderers:
        pio.renderers[REPORT_RENDERER] = ReportRenderer(config=_PLOT_CONFIG)
    if renderer:
        chosen = renderer
    elif in_report():
        chosen = REPORT_RENDERER
    else:
        chosen = os.environ.get("PLOTLY_RENDERER") or _INTERACTIVE_RENDERER
    pio.renderers.default = chosen


def display(obj: Any, *, raw: bool = False) -> None:
    """Display ``obj`` in the notebook (``IPython.display.display``, typed)."""
    from IPython.display import display as ipython_display  # late: plain Python use never needs it

    ipython_display(obj, raw=raw)  # type: ignore[no-untyped-call]


def show_html(markup: str) -> None:
    """Display trusted HTML markup built by the kit (escape any user text in it first)."""
    display({"text/html": markup}, raw=True)


def show(fig: go.Figure) -> None:
    """Display a figure with the kit's renderer settings (no Plotly logo, responsive width)."""
    fig.show(config=_PLOT_CONFIG)


def show_table(frame: pd.DataFrame, *, empty: str = "Nothing to show.", max_rows: int = 200) -> None:
    """Display a DataFrame as an escaped HTML table, or ``empty`` as a note when it has no rows."""
    if frame.empty:
        show_html(f"<p><em>{html.escape(empty)}</em></p>")
        return
    show_html(table_html(frame, max_rows=max_rows))
