"""`python -m trainer` / `lookalike train`: prepare | train | evaluate | export | run | inspect |
estimate.

`lookalike train ALBUMS --out DIR` arrives here as ["ALBUMS", "--out", "DIR"]: an argument list
that does not start with a subcommand means `run`. Exit codes: 0 done, 2 bad input, 130 stopped
(once training has begun, a resumable checkpoint is on disk), 1 anything else. `inspect` never
imports torch.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import json
import logging
import os
import sys
from pathlib import Path

from desktop_app.core.errors import LookalikeError, printable

from . import cli_help
from .errors import TrainerError, error_details
from .outdir import check_not_foreign
from .wording import fmt3, plural, set_command

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 130
DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
SUBCOMMANDS = ("prepare", "train", "evaluate", "export", "run", "inspect", "estimate")
NAME_HELP = ("the model's name in the app, kept as it is given (default: the albums folder's "
             "name and the length, e.g. albums-48bit, numbered as in 'albums-48bit (2)' when "
             "the library has another model of that name)")


def _model_name(text: str) -> str:
    """--name, refused before a run as the model's card would refuse it at the run's end."""
    from desktop_app.core.model_card import name_problem

    problem = name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}{'...' if len(text) > 40 else ''} is "
                                         f"not a model name: give {problem}")
    return text


def _common(p: argparse.ArgumentParser, progress: bool = True) -> None:
    p.add_argument("--config", metavar="FILE",
                   help="a TOML file of settings (see trainer/configs/default.toml)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="SECTION.KEY=VALUE", help="override one setting, e.g. head.lr=0.002")
    if progress:
        p.add_argument("--progress", choices=("bar", "json", "none"), default="bar",
                       help="bar (default): progress bars on stderr; json: one JSON object "
                            "per line on stdout (for the desktop app); none")
    p.add_argument("-v", "--verbose", action="store_true", help="debug log on stderr")


def _train_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bits", type=int, nargs="+",
                   help="code length(s) to produce, 12 to 64 (default 48, or what the run "
                        "folder's saved config.toml holds: like --set, a value given once "
                        "stays for later runs into the same folder)")
    p.add_argument("--mode", choices=("auto", "frozen", "finetune"),
                   help="frozen: train on cached backbone features; finetune: train the "
                        "backbone too; auto: finetune on CUDA, else frozen (default auto, "
                        "or what the run folder's saved config.toml holds)")
    p.add_argument("--device", help=cli_help.DEVICE)
    p.add_argument("--backbone", metavar="NAME",
                   help="efficientnet_lite0 (default), _lite1 or _lite2 (weights packaged), or a "
                        "torchvision network (resnet50, convnext_tiny, ...: see "
                        "trainer/configs/default.toml)")
    p.add_argument("--backbone-weights", metavar="FILE",
                   help="the backbone's pretrained weights (a state dict); default: the "
                        "packaged ones, or for torchvision networks torchvision's file in the "
                        "torch cache (--backbone-weights \"\" goes back to them). Nothing "
                        "is downloaded")
    p.add_argument("--flip-average", action=argparse.BooleanOptionalAction, default=None,
                   help="average each photo's features with its mirror image's, in training "
                        "and in the exported model: better codes (up to +0.010 mAP on "
                        "CIFAR-10), twice the backbone's work per photo (backbone.flip_average; "
                        "default off)")


def _compare_flag(p: argparse.ArgumentParser, run_dir: str) -> None:
    p.add_argument("--compare-with", metavar="CURRENT_MODEL_DIR",
                   help="also measure the app model in this folder (model.json + model.onnx, "
                        "e.g. the one in use) on the same held-out photos with the same "
                        "measures, encoding them as the app does, so that its numbers and the "
                        f"new model's compare; written to {run_dir}/comparison.json and sent in "
                        "the done event (taken from that file again while the model and the "
                        "photos are unchanged). A model that cannot be measured is named with "
                        "the cause, and the step still succeeds")


class UsageError(Exception):
    """argparse refused the command line; raised instead of exiting at once so that main() can
    also tell a `--progress json` reader, which sees nothing of the usage text on stderr."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message

    def exit(self) -> None:
        """What argparse does on its own: usage and message on stderr, exit code 2."""
        argparse.ArgumentParser.error(self.parser, self.message)


class _Parser(argparse.ArgumentParser):
    """Sub-commands' parsers are of this class too (add_subparsers uses the parent's class)."""

    def error(self, message: str) -> None:
        raise UsageError(self, message)


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asked for `--progress json`, even if it cannot be parsed."""
    return "--progress=json" in argv or any(
        a == "--progress" and b == "json" for a, b in itertools.pairwise(argv))


def build_parser(prog: str = "python -m trainer") -> argparse.ArgumentParser:
    ap = _Parser(prog=prog, description=(
        "Train a Lookalike encoder from labelled albums (one sub-folder per label) with "
        "progressive NMLayer deep hashing, evaluate it, and export it for the app."))
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("inspect", help="count photos per album and list unreadable ones")
    p.add_argument("albums", metavar="ALBUMS", help=cli_help.ALBUMS)
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object "
                   "on stdout")
    p.add_argument("--progress", choices=("bar", "json", "none"), default="bar",
                   help="bar (default): a progress bar on stderr while the photos are read; "
                        "json: one JSON object per line on stdout (for the desktop app), the "
                        "counts in the last one, the done event (--json is then not needed)")
    p = sub.add_parser("estimate", help="measure on this computer how long `run` would take "
                       "on ALBUMS (seconds of probing; writes nothing)")
    p.add_argument("albums", metavar="ALBUMS", help=cli_help.ALBUMS)
    p.add_argument("--out", metavar="MODEL_DIR", help=cli_help.ESTIMATE_OUT)
    p.add_argument("--read-seconds", type=float, metavar="S", help=cli_help.READ_SECONDS)
    _train_flags(p)
    _common(p)
    p = sub.add_parser("prepare", help="albums -> RUN_DIR/manifest.json with a seeded split")
    p.add_argument("albums", metavar="ALBUMS", help=cli_help.ALBUMS)
    p.add_argument("--out", required=True, metavar="RUN_DIR", help=cli_help.NEW_RUN_DIR)
    _common(p)
    p = sub.add_parser("train", help="train the hash head and NMLayer chain of a prepared run")
    p.add_argument("run_dir", metavar="RUN_DIR", help=cli_help.RUN_DIR)
    p.add_argument("--no-resume", action="store_true",
                   help="ignore an existing checkpoint (a backbone fine-tuned in RUN_DIR is "
                        "still used in frozen mode)")
    _train_flags(p)
    _common(p)
    p = sub.add_parser("evaluate", help="mAP, precision@k, PR curve, bit importance (JSON+PNG)")
    p.add_argument("run_dir", metavar="RUN_DIR", help=cli_help.RUN_DIR)
    p.add_argument("--bits", type=int, required=True, help=cli_help.EVALUATE_BITS)
    _compare_flag(p, "RUN_DIR")
    _common(p)
    p = sub.add_parser("export", help="write model.onnx + model.json, checked against the app")
    p.add_argument("run_dir", metavar="RUN_DIR", help=cli_help.RUN_DIR)
    p.add_argument("--bits", type=int, required=True, help=cli_help.EXPORT_BITS)
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help=cli_help.EXPORT_MODEL_DIR)
    p.add_argument("--name", type=_model_name, help=NAME_HELP)
    _common(p)
    p = sub.add_parser("run", help="albums -> model folder in one go (what `lookalike train` "
                                   "does)")
    p.add_argument("albums", metavar="ALBUMS", help=cli_help.ALBUMS)
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help=cli_help.RUN_MODEL_DIR)
    p.add_argument("--name", type=_model_name, help=NAME_HELP + "; with several --bits each "
                   "model is called "
                   "NAME-<bits>bit")
    p.add_argument("--no-resume", action="store_true",
                   help="train afresh, ignoring the checkpoints in MODEL_DIR/training (unchanged "
                        "albums are still not read again; a backbone fine-tuned there is still "
                        "used in frozen mode)")
    _train_flags(p)
    _compare_flag(p, "MODEL_DIR/training")
    _common(p)
    # Set after the sub-commands exist: their usage lines are built from the prog, not this.
    ap.usage = (f"{prog} ALBUMS --out MODEL_DIR [options]   (the `run` command)\n"
                f"       {prog} COMMAND ...")
    ap.epilog = (f"ALBUMS --out MODEL_DIR reads the albums (one sub-folder per label), trains, "
                 f"evaluates and exports the model in one go; `{prog} run --help` lists its "
                 f"options. `{prog} COMMAND --help` describes each step. "
                 + cli_help.STOPPING)
    return ap


def _config(args, run_dir: Path | None = None):
    from . import config as config_mod

    base = None
    if run_dir is not None and (run_dir / "config.toml").is_file() and not args.config:
        base = run_dir / "config.toml"
    named = {}
    if getattr(args, "bits", None) and args.command in ("train", "run", "estimate"):
        named["train_bits"] = list(args.bits)
    if getattr(args, "mode", None):
        named["train_mode"] = args.mode
    if getattr(args, "device", None):
        named["train_device"] = args.device
    if getattr(args, "backbone", None):
        named["backbone_name"] = args.backbone
    if getattr(args, "backbone_weights", None) is not None:  # "" goes back to the default
        named["backbone_weights"] = args.backbone_weights
    if getattr(args, "flip_average", None) is not None:
        named["backbone_flip_average"] = args.flip_average
    return config_mod.resolve(args.config or base, args.overrides,
                              check_lengths=args.command in ("train", "run", "estimate"),
                              **named)


def cmd_inspect(args) -> int:
    from .albums import empty_album_line, loose_photos_warning, scan_albums, skipped_folders_line
    from .errors import Stopped
    from .progress import Reporter, StopFlag, stoppable_progress

    stopped = (f"stopped while looking inside the albums in {printable(args.albums)}; run the "
               "same command again to look inside them")
    protocol = args.progress == "json"  # the app's: progress, then done (the counts) or error
    reporter = Reporter(args.progress)
    # The app's look inside is stopped by a "stop" line too: on Windows its terminate() is a
    # WM_CLOSE that a console program never sees, so it was killed after the grace time.
    stop = StopFlag().watch_stdin() if args.json or protocol else None
    try:
        # Said at once: listing thousands of photos on a NAS takes a while before the first
        # photo is read (and counted).
        reporter.progress("inspect", 0, 0, doing="listing the albums")
        scan = scan_albums(args.albums, stoppable_progress(reporter, stop, "inspect", stopped),
                           should_stop=stop)
    except Stopped:
        if protocol:
            reporter.error(stopped, problem="stopped")
        else:
            print(json.dumps({"error": stopped}))
            reporter.log(f"error: {stopped}")  # (after the bar, closed)
        return EXIT_STOPPED
    except LookalikeError as exc:
        if not protocol:
            raise
        reporter.error(str(exc), **error_details(exc))
        return EXIT_BAD_INPUT
    summary = scan.summary()
    if protocol:
        reporter.done(**summary)
        return EXIT_OK
    reporter.done()  # (the bar closed before the counts are printed)
    if args.json:
        print(json.dumps(summary))
        return EXIT_OK
    print(f"{plural(summary['photos'], 'photo')} in {plural(summary['labels'], 'album')}")
    for name, n in summary["per_label"].items():
        print(f"  {n:6d}  {name}")
    if note := scan.copies_note():  # else the albums' counts add up to more than the photos
        print(note)
    for item in summary["unreadable"]:
        print(f"unreadable: {item['message']}")
    for folder in summary["empty_albums"]:
        print(empty_album_line(folder, scan.empty_reasons[folder]))
    if scan.skipped_folders:
        print(skipped_folders_line(scan.skipped_folders))
    if scan.loose_photos:
        print(loose_photos_warning(args.albums, scan.loose_photos))
    return EXIT_OK


def check_out(args) -> None:
    """--out must be a folder or a new path: found now, not after every photo was read."""
    run_dir = getattr(args, "run_dir", None)
    if args.command in ("train", "evaluate") and Path(run_dir).is_dir() and not os.access(
            run_dir, os.W_OK | os.X_OK):  # they write config.toml, heads, reports there
        raise LookalikeError(run_dir, "this run folder cannot be written to (read-only or no "
                             "permission), and this step saves its results there",
                             "Make it writable, or copy it to a folder you can write to and "
                             "give that")
    out = getattr(args, "out", None)
    if out is None:
        return
    target = Path(out).expanduser()
    albums = getattr(args, "albums", None)
    if albums is not None and Path(albums).expanduser().is_dir():
        root = Path(albums).expanduser().resolve()
        if target.resolve().is_relative_to(root):
            # Its plots and model would be read as photos of an album on the next run.
            raise TrainerError(target, f"this output folder is inside the albums folder {root}, "
                               "so the next run would read the files it writes there as photos "
                               "of an album", "Give --out a folder outside the albums folder",
                               option="--out", problem="inside-albums")
    if args.command == "run" and (target / "training").is_file():
        target = target / "training"  # where `run` keeps its training files
    for p in (target, *target.parents):
        if p.exists():
            if not p.is_dir():
                raise TrainerError(p, "this is a file, so the output folder "
                                   f"{'' if p == target else f'{target} '}cannot be made there",
                                   "Give --out a new folder or an existing one",
                                   option="--out", problem="not-a-folder")
            if not os.access(p, os.W_OK | os.X_OK):  # read-only disk, or another user's folder
                raise TrainerError(p, "this folder cannot be written to (read-only or no "
                                   "permission)", "Give --out a folder you can write to",
                                   option="--out", problem="not-writable")
            return


def run_command(args, reporter, stop) -> int:
    from . import pipeline

    if args.command == "prepare":
        cfg = _config(args)
        albums = pipeline.AlbumsFolder(args.albums, stop)  # one listing for both
        # Reading photos is CPU work whatever device training will use (maybe another machine).
        pipeline.announce_albums(albums, reporter, "cpu", stop)
        m = pipeline.run_prepare(albums, args.out, cfg, reporter, stop)
        pipeline.config_mod.save(cfg, Path(args.out) / pipeline.CONFIG)
        manifest = Path(args.out) / pipeline.MANIFEST
        reporter.log(f"{plural(len(m.photos), 'photo')}, {plural(len(m.labels), 'label')}, "
                     f"split {m.counts()}, {len(m.unreadable)} unreadable; manifest in "
                     f"{manifest}")
        reporter.done(manifest=str(manifest.resolve()))
    elif args.command == "estimate":
        from .estimate import estimate_run

        run_dir = Path(args.out) / "training" if args.out else None
        found = estimate_run(args.albums, args.out, _config(args, run_dir), args.read_seconds,
                             stop)
        reporter.estimate(**found)
        reporter.done()
        if args.progress != "json":
            from .estimate import estimate_words

            print(estimate_words(found))
    elif args.command == "train":
        run_dir = Path(args.run_dir)
        summary = pipeline.run_train(run_dir, _config(args, run_dir), reporter, stop,
                                     resume=not args.no_resume)
        for s in summary["stages"]:
            reporter.log(f"{s['bits']:4d} bits: validation mAP {s['val_map']:.4f}, importance "
                         f"spread {fmt3(s['importance_spread'])}")
        reporter.done(training=str((run_dir / pipeline.TRAINING).resolve()))
    elif args.command == "evaluate":
        run_dir = Path(args.run_dir)
        cfg = _config(args, run_dir)
        report = pipeline.run_evaluate(run_dir, cfg, args.bits, reporter, should_stop=stop)
        compared = _compare(args, run_dir, cfg, reporter, stop)
        from .evaluate import summary

        path = run_dir / f"evaluation-{args.bits}.json"
        reporter.done(None, summary(report), report=str(path.resolve()), **compared)
        if args.progress != "json":
            print(f"{args.bits} bits: mAP@all {report['map_all']:.4f} (report in {path})")
    elif args.command == "export":  # export_model logs where the model went
        run_dir = Path(args.run_dir)
        out = pipeline.run_export(run_dir, _config(args, run_dir), args.bits, args.out,
                                  args.name, reporter, stop)
        reporter.done(str(Path(out).resolve()))
        _closing_words(args, [out])
    elif args.command == "run":
        run_dir = Path(args.out) / "training"
        cfg = _config(args, run_dir)
        out, evaluation, compared = pipeline.run_all(args.albums, args.out, cfg, reporter, stop,
                                                     resume=not args.no_resume,
                                                     compare_with=args.compare_with,
                                                     name=args.name)
        reporter.done(str(Path(out).resolve()), evaluation,
                      **({"compared": compared} if compared else {}))
        bits = sorted({int(b) for b in cfg["train"]["bits"]}, reverse=True)
        _closing_words(args, [out] if len(bits) == 1 else
                       [Path(args.out) / f"{b}bit" for b in bits])
    return EXIT_OK


def _closing_words(args, model_dirs: list) -> None:
    """Where the model is, its held-out mAP and how to use it; the app words its own."""
    if args.progress != "json":
        from .closing import closing_words

        print(closing_words(model_dirs), file=sys.stderr)


def _compare(args, run_dir: Path, cfg, reporter, stop) -> dict:
    """{"compared": ...} for the done event when --compare-with was given, else {}."""
    if not args.compare_with:
        return {}
    from .compare import compare_on_run

    return {"compared": compare_on_run(args.compare_with, run_dir, cfg, reporter, stop)}


def main(argv: list[str] | None = None, prog: str = "python -m trainer") -> int:
    """`prog` names the command in help and usage texts, and in the remedies of messages
    (`lookalike train` when handed over)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    previous = set_command(prog)
    try:
        return _main(argv, prog)
    finally:
        set_command(previous)


def _main(argv: list[str], prog: str) -> int:
    if not argv:  # argparse would say only "the following arguments are required: COMMAND"
        build_parser(prog).print_help(sys.stderr)
        return EXIT_BAD_INPUT
    if argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]
    try:
        args = build_parser(prog).parse_args(argv)
    except UsageError as exc:
        if _wants_json(argv):
            command = exc.parser.prog
            print(json.dumps({"event": "error", "message": f"{command}: {exc.message}; see "
                              f"`{command} --help`", "reason": exc.message,
                              "problem": "usage"}), flush=True)
        exc.exit()
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    from .torchrun_env import launched_rank

    # Under torchrun these look and measure for a person: rank 0 alone, or every rank reads
    # the albums again and the person gets one copy of the answer per rank.
    if args.command in ("inspect", "estimate") and launched_rank() > 0:
        return EXIT_OK
    if args.command == "inspect":  # no torch on this path
        try:
            return cmd_inspect(args)
        except LookalikeError as exc:
            if args.json:
                print(json.dumps({"error": str(exc)}))
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    from .errors import ExportError, Stopped, WorkerDone, missing_package, missing_package_message
    from .progress import RankReporter, Reporter, StopFlag

    # Under torchrun rank 0 reports; the other ranks say only their own failure.
    rank = launched_rank()
    reporter = RankReporter(rank, args.progress) if rank > 0 else Reporter(args.progress)
    stop = StopFlag().install()
    if getattr(args, "progress", None) == "json":  # the app's way to stop it on Windows too
        stop.watch_stdin()
    # The app that started the run crashed (or was killed): save the checkpoint and stop.
    reporter.on_reader_gone = stop.request
    try:
        if args.command != "estimate":  # it writes nothing
            check_out(args)
            check_not_foreign(args)
        return run_command(args, reporter, stop)
    except WorkerDone:
        return EXIT_OK
    except (Stopped, KeyboardInterrupt) as exc:
        reporter.error(str(exc) if isinstance(exc, Stopped) and exc.args else
                       "training was stopped; a checkpoint was saved, run the same command "
                       "again to resume", problem="stopped")
        return EXIT_STOPPED
    except LookalikeError as exc:
        reporter.error(str(exc), **error_details(exc))
        return EXIT_BAD_INPUT
    except Exception as exc:  # the app needs one line, not a traceback, on stdout
        if isinstance(exc, ImportError) and missing_package(exc):  # torch... not installed
            reporter.error(missing_package_message(exc))
            return EXIT_ERROR
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            # A write that names no file (numpy, torch) still happened in the run's folder.
            where = exc.filename or getattr(args, "out", None) or getattr(args, "run_dir", None)
            full = TrainerError(where, f"the disk is full ({exc.strerror})", "Free some space "
                                "there and run the same command again: what was saved so far "
                                "is kept", problem="disk-full")
            reporter.error(str(full), **error_details(full))
            return EXIT_ERROR
        logging.getLogger(__name__).debug("failure", exc_info=True)
        reporter.error(str(exc) if isinstance(exc, ExportError) else
                       f"training failed unexpectedly ({type(exc).__name__}: {exc})")
        return EXIT_ERROR
    finally:
        stop.uninstall()
