"""The desktop app never imports torch (or the trainer): opening the window and the retrain
dialog leaves both out of sys.modules (the trainer runs as a separate process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_app_never_imports_torch():
    code = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        import desktop_app.app
        from desktop_app.settings import Settings
        from desktop_app.ui.main_window import MainWindow
        from desktop_app.ui.retrain_dialog import RetrainDialog
        qt = QApplication([])
        window = MainWindow(Settings(model_dir="/nonexistent", first_run_done=True))
        dialog = window.open_retrain()
        window.shutdown()
        print("torch" in sys.modules, "trainer" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "False"]
