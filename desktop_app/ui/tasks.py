"""run_task: jobs (a top-k search, encoding one dropped photo, the duplicates search) on thread
pools, with the answer delivered on the GUI thread. Each job carries a generation number per key;
an answer to an older request than the latest for its key is dropped, so results always follow
the last click. Each key has its own pool, so a long duplicates search never holds up a click's
search; a long job can ask `should_stop()` and end early once its answer would be dropped or the
window closes. Pool jobs never touch SQLite (Picard's run_task, with Lookalike's late-answer
rule)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Reply(QObject):
    done = Signal(str, int, object, object)  # key, generation, result, error


def _run_job(key: str, generation: int, fn: Callable[[], Any], reply: _Reply) -> None:
    """Runs on a pool thread. Given to the pool as a plain callable, not a QRunnable subclass:
    PySide keeps such a runnable's Python object (and all its job holds: a search snapshot of
    the whole library) for good when it finishes while the GUI thread runs Python, nearly
    every time (tests/ui/test_job_leaks.py)."""
    try:
        result, error = fn(), None
    except Exception as exc:  # handed to the caller's on_error on the GUI thread
        log.debug("task %s failed", key, exc_info=True)
        result, error = None, exc
    reply.done.emit(key, generation, result, error)


class TaskRunner(QObject):
    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        """`threads`: for each key."""
        super().__init__(parent)
        self._threads = threads
        self._pools: dict[str, QThreadPool] = {}
        self._closing = False
        self._latest: dict[str, int] = {}
        self._callbacks: dict[tuple[str, int], tuple[Callable, Callable | None]] = {}
        # Qt deletes children in the order they were made, and a pool's deletion waits for its
        # running job, which then emits on the reply: the pools (made as jobs come) are
        # children of a holder made before the reply, so the reply outlives their wait. Made
        # without a parent, the reply was one of the objects Python deletes as it ends, in no
        # set order: when it went before the window, a job that ran on past shutdown's wait
        # (a dropped photo encoded, a search) raised "Signal source has been deleted".
        self._pool_holder = QObject(self)
        self._reply = _Reply(self)
        self._reply.done.connect(self._on_done)
        self.dropped = 0  # late answers thrown away (for tests and logs)

    def run_task(self, fn: Callable[..., Any], on_done: Callable[[Any], None],
                 on_error: Callable[[Exception], None] | None = None, key: str = "default",
                 stoppable: bool = False) -> int:
        """Run fn() on the key's pool; stoppable: fn(should_stop), should_stop() being true
        once a newer job for the key was asked, forget(key) was called or the runner shut down
        (what fn raises then is dropped with its answer)."""
        generation = self._latest.get(key, 0) + 1
        self._latest[key] = generation
        self._callbacks[(key, generation)] = (on_done, on_error)
        call = fn
        if stoppable:
            def should_stop() -> bool:
                return self._closing or self._latest.get(key) != generation

            def call() -> Any:
                return fn(should_stop)
        if key not in self._pools:
            self._pools[key] = QThreadPool(self._pool_holder)
            self._pools[key].setMaxThreadCount(self._threads)
        self._pools[key].start(functools.partial(_run_job, key, generation, call, self._reply))
        return generation

    def forget(self, key: str = "default") -> None:
        """Drop the answer of any job still running for `key` (nothing newer was asked)."""
        self._latest[key] = self._latest.get(key, 0) + 1

    def latest(self, key: str = "default") -> int:
        return self._latest.get(key, 0)

    def wait(self, msecs: int = 5000) -> bool:
        done = [pool.waitForDone(msecs) for pool in self._pools.values()]  # each, not the first
        return all(done)

    def stop(self) -> None:
        """Stoppable jobs end at their next check (closing: before the longer goodbyes)."""
        self._closing = True

    def shutdown(self, wait_ms: int = 3000) -> None:
        self.stop()
        for pool in self._pools.values():
            pool.clear()
        for pool in self._pools.values():
            pool.waitForDone(wait_ms)
        self._callbacks.clear()

    @Slot(str, int, object, object)
    def _on_done(self, key: str, generation: int, result: Any, error: Any) -> None:
        callbacks = self._callbacks.pop((key, generation), None)
        if callbacks is None:
            return
        if generation != self._latest.get(key):
            self.dropped += 1
            return
        on_done, on_error = callbacks
        if error is None:
            on_done(result)
        elif on_error is not None:
            on_error(error)
        else:
            log.error("background task %s failed: %s", key, error)
