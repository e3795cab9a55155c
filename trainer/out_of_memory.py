"""A GPU running out of memory, said in one sentence: which step, at what batch size, and the
settings that make it fit. torch's own text is a paragraph about its allocator, and the CLI
would show it as "training failed unexpectedly"."""

from __future__ import annotations

import os

from .errors import TrainerError
from .wording import plural


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    # Apple's MPS raises a plain RuntimeError in some torch versions
    return isinstance(exc, RuntimeError) and "MPS backend out of memory" in str(exc)


class SayOutOfMemory:
    """Turns an out-of-memory error on `device` into a TrainerError naming `doing` (the step),
    the batch size and two remedies: `setting` halved, or the CPU. `after`: what a run with
    the smaller batch goes on from. Nothing is saved here: the last checkpoint (written whole
    or not at all) stays as it was. Reusable: one object may guard several blocks."""

    def __init__(self, path: str | os.PathLike, device: str, doing: str, batch_size: int,
                 setting: str, after: str = "") -> None:
        self.path, self.device, self.doing = path, device, doing
        self.batch_size, self.setting, self.after = batch_size, setting, after

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None or not is_out_of_memory(exc):
            return  # not ours: raised on as it is
        n = self.batch_size
        smaller = (f"with a smaller batch (--set {self.setting}={n // 2}{self.after}) or "
                   if n > 1 else "")
        raise TrainerError(self.path, f"{self.device} ran out of memory while {self.doing} on "
                           f"batches of {plural(n, 'photo')}", "Run the same command again "
                           f"{smaller}on the CPU (--device cpu)", problem="out-of-memory"
                           ) from exc
