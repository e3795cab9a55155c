"""Training configuration: defaults from configs/default.toml, a user TOML file, then
command-line overrides (`--set section.key=value`), saved with the run as config.toml."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

from .albums import AlbumError
from .config_rules import check_together, check_value, option_of

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "default.toml"


def load_defaults() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def merge(base: dict[str, Any], extra: dict[str, Any], where: str) -> dict[str, Any]:
    """base with extra's values, each checked (type, allowed values) against the defaults."""
    defaults = load_defaults()
    out = copy.deepcopy(base)
    for section, values in extra.items():
        if section not in out or not isinstance(values, dict):
            raise AlbumError(where, f"unknown configuration section [{section}]",
                             f"Known sections: {', '.join(out)}", option=option_of(where))
        for key, value in values.items():
            if key not in out[section]:
                raise AlbumError(where, f"unknown setting {section}.{key}",
                                 f"Known in [{section}]: {', '.join(out[section])}",
                                 option=option_of(where))
            out[section][key] = check_value(f"{section}.{key}", value,
                                            defaults[section][key], where)
    return out


def parse_override(text: str) -> tuple[str, str, Any]:
    """'head.lr=0.002' -> ('head', 'lr', 0.002); values parse as TOML, else as strings."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise AlbumError(None, f"cannot understand the override '{text}'",
                         "Write it as section.key=value, e.g. head.lr=0.002", option="--set")
    dotted, raw = text.split("=", 1)
    section, key = dotted.strip().split(".", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return section, key, value


# The command-line flag of a named setting, where it is not "--" + the key.
FLAGS = {"backbone_name": "--backbone", "backbone_weights": "--backbone-weights",
         "backbone_flip_average": "--flip-average"}


def resolve(config_file: str | Path | None = None, overrides: list[str] = (),
            check_lengths: bool = True, **named: Any) -> dict[str, Any]:
    """Defaults < config file < --set overrides < named flags (e.g. train_bits=[32]). Every
    value is checked; check_lengths: train.bits against head.long_bits (commands that train)."""
    cfg = load_defaults()
    bits_from = "--bits"  # where train.bits was last set, to name it if its range is wrong
    if config_file:
        path = Path(config_file)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AlbumError(path, "the configuration file does not exist",
                             "Give --config an existing TOML file (trainer/configs/default.toml "
                             "lists every setting)", option="--config")
        except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, not text
            raise AlbumError(path, f"the configuration file cannot be read as text "
                             f"({exc.strerror if isinstance(exc, OSError) else exc.reason})",
                             "Give a TOML file of UTF-8 text (trainer/configs/default.toml "
                             "lists every setting); a run folder's config.toml may instead be "
                             "deleted", option="--config") from exc
        except tomllib.TOMLDecodeError as exc:
            # A run folder's own config.toml is read here too: deleting it is a way out.
            raise AlbumError(path, f"the configuration file is not valid TOML ({exc})",
                             "Correct it there (a run folder's config.toml may instead be "
                             "deleted: the defaults and the command line are used then)",
                             option="--config") from exc
        cfg = merge(cfg, user, str(path))
        if "bits" in user.get("train", {}):
            bits_from = str(path)
    for text in overrides:
        section, key, value = parse_override(text)
        cfg = merge(cfg, {section: {key: value}}, "--set " + text)
        if (section, key) == ("train", "bits"):
            bits_from = "--set " + text
    for name, value in named.items():
        if value is not None:
            section, key = name.split("_", 1)
            flag = FLAGS.get(name, "--" + key)
            cfg = merge(cfg, {section: {key: value}}, flag)
            if name == "train_bits":
                bits_from = flag
    check_together(cfg, check_lengths, bits_from)
    return cfg


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(cfg: dict[str, Any]) -> str:
    lines = []
    for section, values in cfg.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_toml_value(v)}" for key, v in values.items())
        lines.append("")
    return "\n".join(lines)


def save(cfg: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(to_toml(cfg), encoding="utf-8")
    return path


def read_saved(path: str | Path) -> dict[str, Any]:
    cfg = merge(load_defaults(), tomllib.loads(Path(path).read_text(encoding="utf-8")),
                str(path))
    check_together(cfg, lengths=False)
    return cfg
