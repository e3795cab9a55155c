"""A config folder on a network share (an NFS home, LOOKALIKE_HOME on a share) seen from two
computers: the app's lock held on the other one is said at once, naming that computer, instead
of asking this one to end a process it does not have."""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import QLockFile, QSysInfo

from desktop_app import paths, single_instance
from desktop_app.single_instance import InstanceLock, claim


def lock_written_on(host: str, pid: int = 4242):
    """The lock file as QLockFile writes it (pid, app name, host name) on another computer."""
    config = paths.config_dir()
    config.mkdir(parents=True)
    lock_file = config / single_instance.LOCK_NAME
    lock_file.write_text(f"{pid}\nlookalike\n{host}\n", encoding="utf-8")
    return config, lock_file


def test_a_lock_held_on_another_computer_is_said_at_once(monkeypatch, tmp_path):
    config, lock_file = lock_written_on("lab-pc-17")
    asked = []

    def nobody_listens(*args):  # its socket is on that computer
        asked.append(args)
        return False

    monkeypatch.setattr(single_instance, "send_request", nobody_listens)
    found = claim(config, str(tmp_path))
    assert not found.first and not found.handed_over
    assert len(asked) == 1  # asked once (a renamed computer's app answers), not until 5 s pass
    assert found.owner_host == "lab-pc-17" and found.owner_pid == 4242
    message = found.no_answer_message(single_instance.HANDOVER_TIMEOUT_S)
    assert "running on the computer lab-pc-17 (process 4242)" in message
    assert "Close it there" in message and str(lock_file) in message
    assert "end that process" not in message and "did not answer" not in message
    assert lock_file.read_text(encoding="utf-8").startswith("4242\n")  # not taken over


def test_a_lock_of_this_computer_is_not_taken_for_another_ones():
    lock = InstanceLock(paths.config_dir())
    assert lock.try_lock()
    try:
        assert lock.owner_elsewhere() is None
    finally:
        lock.unlock()


def this_computers_lock(host: str, host_id: bytes) -> tuple:
    """The lock file of an app running here (this process: its pid, the app name and boot id
    Qt writes), recorded under `host` and `host_id`; the app is not listening (still starting,
    or closing)."""
    config = paths.config_dir()
    config.mkdir(parents=True)
    probe = QLockFile(str(config / "probe.lock"))
    assert probe.tryLock(0)
    pid, app_name, *_ = (config / "probe.lock").read_bytes().split(b"\n")
    probe.unlock()
    lock_file = config / single_instance.LOCK_NAME
    lock_file.write_bytes(b"\n".join([pid, app_name, host.encode(), host_id,
                                      bytes(QSysInfo.bootUniqueId()), b""]))
    return config, lock_file


def test_this_computer_renamed_since_its_app_took_the_lock_is_still_this_one(tmp_path):
    """The machine id Qt records tells the computer (as Qt's own stale-lock test does): a host
    name that changed since (a renamed computer, a Mac named by the network it joined) is not
    another computer, so the start waits for the app as for any other here."""
    ours = bytes(QSysInfo.machineUniqueId())
    if not ours:
        pytest.skip("this system has no machine id")
    config, lock_file = this_computers_lock("name-before-renaming", ours)
    lock = InstanceLock(config)
    assert not lock.try_lock()
    assert lock.owner_elsewhere() is None
    started = time.monotonic()
    found = claim(config, str(tmp_path), timeout=0.5)
    assert time.monotonic() - started >= 0.5  # waited for it to answer, as for any app here
    assert found.owner_host is None and found.owner_pid == os.getpid()
    message = found.no_answer_message(0.5)
    assert "did not answer within 0.5 s" in message and "on the computer" not in message
    # Another computer of the same name (two "raspberrypi"s sharing a home folder) is not this.
    lock_file.write_bytes(lock_file.read_bytes().replace(b"name-before-renaming",
                                                         QSysInfo.machineHostName().encode())
                          .replace(ours, b"0" * len(ours)))
    assert lock.owner_elsewhere() == QSysInfo.machineHostName()


def test_a_host_name_is_compared_as_qt_writes_it(monkeypatch):
    """Without machine ids, the host names: in any case (DNS names are not case-sensitive), and
    on Windows the name Qt writes in the lock (%COMPUTERNAME%, the NetBIOS name, upper case
    and at most 15 characters) is not QSysInfo.machineHostName() (the DNS host name)."""
    here = QSysInfo.machineHostName()
    config, _ = this_computers_lock(here.swapcase(), b"")
    lock = InstanceLock(config)
    assert lock.owner_elsewhere() is None
    (config / single_instance.LOCK_NAME).write_text(
        f"{os.getpid()}\nlookalike\nJOHNS-LAPTOP-WOR\n", encoding="utf-8")
    assert lock.owner_elsewhere() == "JOHNS-LAPTOP-WOR"
    monkeypatch.setattr(single_instance.sys, "platform", "win32")
    monkeypatch.setenv("COMPUTERNAME", "JOHNS-LAPTOP-WOR")
    assert lock.owner_elsewhere() is None
