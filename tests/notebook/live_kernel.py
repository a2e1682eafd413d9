"""A real IPython kernel driven over ``jupyter_client`` the way JupyterLab drives it.

Cells are sent as execute requests, widget state is followed from the IOPub comm messages, and buttons
are pressed with the comm message a browser sends for a click, optionally on a kernel subshell (JupyterLab
4.4+ sends widget comms on a subshell whenever the kernel supports them).
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

ROOT = Path(__file__).resolve().parents[2]


class KernelError(AssertionError):
    """A cell raised in the live kernel (the traceback is the message)."""


class LiveKernel:
    """One kernel process, its client, and the state of every widget it has shown."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, "PYTHONPATH": pythonpath, **(env or {})}
        self.manager: KernelManager
        self.client: BlockingKernelClient
        self.manager, self.client = start_new_kernel(
            kernel_name="python3",
            env=env,
            cwd=str(cwd),
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
        self.widgets: dict[str, dict[str, Any]] = {}

    def close(self) -> None:
        """Stop the client's channels and the kernel process."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def _take(self, timeout: float) -> dict[str, Any] | None:
        """Read one IOPub message (None after ``timeout``), folding widget state as it goes."""
        try:
            message: dict[str, Any] = self.client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return None
        content = message["content"]
        if message["msg_type"] == "comm_open":
            self.widgets[content["comm_id"]] = dict(content.get("data", {}).get("state", {}))
        elif message["msg_type"] == "comm_msg" and content["data"].get("method") == "update":
            self.widgets.setdefault(content["comm_id"], {}).update(content["data"].get("state", {}))
        return message

    def execute(self, code: str, timeout: float = 60.0) -> str:
        """Run ``code`` as a cell (stdin allowed, as a notebook frontend does); return what it printed."""
        msg_id = self.client.execute(code, allow_stdin=True)
        printed: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._take(0.2)
            if message is None or message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise KernelError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
        raise AssertionError(f"the cell did not finish within {timeout} s:\n{code}")

    def create_subshell(self) -> str:
        """Create a kernel subshell (a thread with its own loop) and return its id."""
        request = self.client.session.msg("create_subshell_request", {})
        self.client.control_channel.send(request)
        reply = self.client.control_channel.get_msg(timeout=10)
        return str(reply["content"]["subshell_id"])

    def click(self, model_id: str, *, subshell_id: str | None = None) -> None:
        """Press a button the way the browser does: a comm message carrying its click event."""
        data = {"method": "custom", "content": {"event": "click"}}
        message = self.client.session.msg("comm_msg", {"comm_id": model_id, "data": data})
        if subshell_id is not None:
            message["header"]["subshell_id"] = subshell_id
        self.client.shell_channel.send(message)

    def run_notebook_cells(self, notebook: Path, *, until: str | None = None) -> list[str]:
        """Execute a notebook's code cells in order, as they are stored; return what each printed.

        Stops after the first cell containing ``until`` when given.
        """
        import nbformat

        printed = []
        for cell in nbformat.read(str(notebook), as_version=4).cells:
            if cell.cell_type == "code":
                printed.append(self.execute(cell.source))
                if until is not None and until in cell.source:
                    break
        return printed

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Read IOPub until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                return False
            self._take(0.1)
        return True
