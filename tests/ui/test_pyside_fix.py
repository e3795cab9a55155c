"""PySide6 6.12.0's emit() steals a reference to True (and dict/list payloads one to None);
pyproject.toml excludes that release, and with the binding installed the app must survive many
thousands of emits and exit cleanly."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_many_emits_then_a_clean_exit():
    code = textwrap.dedent("""
        import desktop_app.ui  # the app's Qt package first, as the app imports it
        from PySide6.QtCore import QObject, Signal
        class E(QObject):
            d = Signal(dict)
            b = Signal(bool)
        e = E()
        seen = []
        e.d.connect(lambda x: seen.append(1))
        for i in range(20000):
            e.d.emit({"a": None, "ok": True})
            e.b.emit(False)
        assert len(seen) == 20000
        print("done")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "done"

