"""The rank torchrun gave this process, read from its environment (no torch: the CLI picks its
reporter before torch is imported, and the pipeline asks before a process group is joined)."""

from __future__ import annotations

import os


def launched_rank() -> int:
    """RANK as torch reads it (int()), only under torchrun: RANK and WORLD_SIZE alone may be a
    SLURM script's, a notebook's or a shell's, and a process taking them for its rank would do
    nothing (its steps are rank 0's) or report nothing. torchrun's own mark is
    TORCHELASTIC_RUN_ID, set for every worker it starts. 0 when not a torchrun worker of several,
    or when a value cannot be read ("²" passes isdigit(), not int())."""
    if "TORCHELASTIC_RUN_ID" not in os.environ:
        return 0
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return 0
        return max(int(os.environ.get("RANK", "0")), 0)
    except ValueError:
        return 0
