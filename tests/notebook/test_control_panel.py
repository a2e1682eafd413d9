"""The attached panel: it watches and steers a run that a separate `migrate` process executes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from omnimemory_kit.events import EventKind
from omnimemory_kit.notebook.control_panel import AttachedPanel
from omnimemory_kit.store import open_store
from tests.migration.test_control_processes import FNS, Log, env, kit, wait_until


class TestAttachedPanel:
    def test_attached_panel_pauses_and_resumes_a_run_run_elsewhere(self, tmp_path: Path) -> None:
        """Pause and Resume pressed on the panel reach the other process; a refused approve writes nothing."""
        (tmp_path / "fns.py").write_text(FNS)
        src = tmp_path / "src"
        src.mkdir()
        for i in range(12):
            (src / f"item{i:02d}.txt").write_text("x")
        (tmp_path / "hold").touch()
        url = f"sqlite:///{tmp_path / 'journal.db'}"
        log = Log(tmp_path)
        with (tmp_path / "stderr").open("w") as err:
            proc = subprocess.Popen(
                kit(tmp_path, "migrate", str(src), "--function", f"{tmp_path / 'fns.py'}:work",
                    "--store", url, "--run-id", "r1", "--pattern", "*.txt", "--concurrency", "2",
                    "--batch-size", "2"),
                env=env(tmp_path), stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        try:
            wait_until(lambda: log.count("S") == 2)
            with open_store(url) as store:
                panel = AttachedPanel(store, "r1", who="ann@lab")
                panel.reason.value = "deploy"
                panel.pause_button.click()
                assert "paused by ann@lab" in panel.status.value
                assert "concurrency 2, batch size 2, max-rate none" in panel.status.value  # as created
                panel.gate.value, panel.approver.value = "cut-over", "carol"
                panel.approve_button.click()
                assert "does not wait at gate" in panel.message.value
                assert [c.kind for c in panel.control.history()] == [EventKind.CONTROL_PAUSE]
                (tmp_path / "hold").unlink()
                wait_until(lambda: log.count("E") == log.count("S"))
                panel.resume_button.click()
                assert proc.wait(timeout=60) == 0
                panel.refresh()
                assert "completed, 12/12 done" in panel.status.value
                assert "pause" in panel.history.value
                assert "deploy" in panel.history.value
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
