"""What notebooks call: figures, tables, data loading, parameter models, ``record`` and kernel helpers.

Notebooks stay thin: every figure is a function in ``figures`` (a DataFrame in, a Plotly figure out),
every table one in ``tables``, every widget panel an object in ``panels``; all of it is tested without
Jupyter.
"""

from omnimemory_kit.notebook import data as data
from omnimemory_kit.notebook import figures as figures
from omnimemory_kit.notebook import sre_figures as sre_figures
from omnimemory_kit.notebook import tables as tables
from omnimemory_kit.notebook.checks import HealthSession as HealthSession
from omnimemory_kit.notebook.checks import default_health_session as default_health_session
from omnimemory_kit.notebook.params import HealthParams as HealthParams
from omnimemory_kit.notebook.params import MigrationParams as MigrationParams
from omnimemory_kit.notebook.params import MigrationReportParams as MigrationReportParams
from omnimemory_kit.notebook.params import NotebookParams as NotebookParams
from omnimemory_kit.notebook.record import record as record
from omnimemory_kit.notebook.runtime import configure_plotly as configure_plotly
from omnimemory_kit.notebook.runtime import in_report as in_report
from omnimemory_kit.notebook.runtime import run_sync as run_sync
from omnimemory_kit.notebook.runtime import show as show
from omnimemory_kit.notebook.runtime import show_html as show_html
from omnimemory_kit.notebook.runtime import show_table as show_table

__all__ = [
    "HealthParams",
    "HealthSession",
    "MigrationParams",
    "MigrationReportParams",
    "NotebookParams",
    "configure_plotly",
    "data",
    "default_health_session",
    "figures",
    "in_report",
    "record",
    "run_sync",
    "show",
    "show_html",
    "show_table",
    "sre_figures",
    "tables",
]
