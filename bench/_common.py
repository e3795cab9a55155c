"""Shared helpers for the benchmarks (not part of the app; may import torch)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = float("nan")
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (f"{cores}-core {platform.machine()} CPU, no GPU, {mem_gib:.0f} GiB "
            f"(Python {platform.python_version()}; load average at start {load}; the 2 cores "
            "are shared with three other engineers' work)")


def nice_prefix() -> str:
    """'nice -n N ' as this process really runs (the reports' command lines said a fixed level)."""
    level = os.nice(0)
    return f"nice -n {level} " if level > 0 else ""


def home_to_tilde(path: str) -> str:
    """A path as a report prints it: the user's home as ~, so the command works for anyone."""
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


def command() -> str:
    return " ".join([".venv/bin/python", *sys.argv])


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - no git or no repository: the report says '?'
        return "?"


def header(title: str) -> str:
    return (f"# {title}\n\n- command: `{command()}`\n- machine: {machine()}\n- date: {now()}\n"
            f"- commit: {git_commit()}\n")
