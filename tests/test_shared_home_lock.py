"""A config folder on a network share (an NFS home, LOOKALIKE_HOME on a share) seen from two
computers: the app's lock held on the other one is said at once, naming that computer, instead
of asking this one to end a process it does not have."""

from __future__ import annotations

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
