"""Shared helpers for the benchmarks (not part of the app; may import torch)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys


def cpu_model() -> str:
    """The CPU's name and its widest vector units. Sessions get different 2-core machines, and
    the figures differ with them: indexing ran at 33 photos/s on one and at 50 on another (an
    Intel Xeon with AVX-512 and AMX), same code."""
    name, flags = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not name:
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    units = [unit for flag, unit in (("avx512f", "AVX-512"), ("amx_tile", "AMX")) if flag in flags]
    if "avx2" in flags and not units:
        units = ["AVX2, no AVX-512"]
    name = name or platform.processor() or "unknown CPU"
    return f"{name}, {' + '.join(units)}" if units else name


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
    return (f"{cores}-core {platform.machine()} CPU ({cpu_model()}), no GPU, {mem_gib:.0f} GiB "
            f"(Python {platform.python_version()}; load average at start {load})")


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
