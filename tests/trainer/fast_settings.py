"""Trainer settings that make a whole run take seconds: small input, short code, a few steps.
A module of its own (not conftest) so that test files import it whatever else pytest collects."""

FAST = ["--set", "backbone.size=32", "--set", "head.long_bits=24", "--set", "head.stages=[16, 12]",
        "--set", "head.long_steps=20", "--set", "head.active_steps=8", "--set",
        "head.merge_rounds=2", "--set", "head.frozen_steps=16", "--set", "head.eval_every=8",
        "--set", "head.batch_size=8", "--set", "train.threads=1"]
