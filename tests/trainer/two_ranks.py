"""Two CPU processes in one gloo group, as torchrun starts one process per GPU: the trainer's
DistributedDataParallel paths on a machine without GPUs. A module of its own (not conftest), as
fast_settings is, so that test files import it whatever else pytest collects."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import torch


def _rank(rank: int, port: int, work: Callable[[int], dict], out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=2)
    torch.set_num_threads(1)
    torch.save(work(rank), os.path.join(out_dir, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


def on_two_ranks(work: Callable[[int], dict], out_dir: Path) -> tuple[dict, dict]:
    """What `work(rank)` (a module-level function: it is pickled) returns on ranks 0 and 1,
    run in two processes that joined one gloo group; passed through torch.save in `out_dir`."""
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_rank, args=(port, work, str(out_dir)), nprocs=2, join=True)
    r0, r1 = (torch.load(Path(out_dir) / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    return r0, r1
