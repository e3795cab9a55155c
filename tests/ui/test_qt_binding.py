"""The installed Qt binding must not leak references on signal emission.

PySide6-Essentials 6.12.0 returns True from Signal.emit() without a reference; on Python 3.11 a
few hundred emits then abort the interpreter. pyproject.toml excludes that release; this test
catches it (or a relapse) in a child process, since the failure kills the process that shows it.
"""

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal

class Probe(QObject):
    ping = Signal()
    payload = Signal(dict)

probe = Probe()
true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
for _ in range(2000):
    probe.ping.emit()
    probe.payload.emit({"value": None})
print(sys.getrefcount(True) - true_before, sys.getrefcount(None) - none_before)
"""


def test_signal_emit_keeps_reference_counts():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, f"emitting Qt signals crashed Python: {result.stderr[-500:]}"
    true_delta, none_delta = map(int, result.stdout.split())
    assert abs(true_delta) < 50 and abs(none_delta) < 50, result.stdout
