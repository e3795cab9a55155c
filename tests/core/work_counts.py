"""Counting the indexing work done, for the core tests that say what is (not) read again."""

from __future__ import annotations

from desktop_app.core import images


def count_work(monkeypatch, library) -> dict[str, int]:
    """How many files are read and decoded, and photos encoded, from now on."""
    calls = {"read": 0, "decode": 0, "encode": 0}

    def counting(name, real):
        def counted(*args, **kwargs):
            calls[name] += len(args[0]) if name == "encode" else 1  # photos, for the encoder
            return real(*args, **kwargs)

        return counted

    for name, owner, attribute in (("read", images, "read_bytes"), ("decode", images, "decode"),
                                   ("encode", library.encoder, "encode_pixels")):
        monkeypatch.setattr(owner, attribute, counting(name, getattr(owner, attribute)))
    return calls
