"""Whether a CUDA GPU that torch reports can run at all, found before anything is read.

torch.cuda.is_available() only counts devices: a card this torch build has no kernels for
("no kernel image is available"), one held in exclusive mode by another program, or a broken
driver fails at the first operation, minutes into a run, with a paragraph of CUDA's text.
"""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)

_SAID: set[str] = set()


@cache
def cuda_problem(device: str) -> str:
    """'' when one tiny operation runs on `device`, else the first line of its error.
    Once per device and process: the first operation also creates the CUDA context."""
    import torch

    try:
        torch.ones(1, device=device).add_(1).item()  # .item() waits for the kernel to run
    except Exception as exc:  # noqa: BLE001 - whatever fails, the GPU cannot train
        lines = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"
    return ""


def say_cpu_instead(device: str, problem: str) -> None:
    """--device auto with a CUDA GPU that does not work: the CPU is used, said once."""
    if device in _SAID:
        return
    _SAID.add(device)
    log.warning("a CUDA GPU is present but cannot run (%s), so training runs on the CPU; to "
                "train on the GPU, update its NVIDIA driver or install a torch build made for "
                "this card", problem)
