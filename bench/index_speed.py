"""Indexing speed on full-size camera JPEGs (12 MP, with EXIF) with an EfficientNet-Lite0-sized
encoder at 224 px: photos/s end to end vs decoding alone (read + fingerprint + draft decode +
preprocess on the same look-ahead pool), and their ratio.

Goal (issue 2): >= 40 photos/s end to end on 2 cores, and <= 1.5x the decode-only time.

    .venv/bin/python bench/index_speed.py --photos 60

The photos are generated once into a temp folder (scikit-image photos upscaled to 4000x3000 plus
noise so they compress like camera files); the encoder is exported here, with the trainer's
export_onnx, from trainer.backbones.build_backbone("efficientnet_lite0") + a random
Linear(1280, 48) with a valid model card.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header

CAMERA = (4000, 3000)
FLIPPED = ", flip-averaged (the backbone runs on each photo and on its mirror image)"


def make_camera_jpegs(folder: Path, count: int) -> list[Path]:
    from photos import SAMPLE_NAMES, exif_bytes, sample_image
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"IMG_{i:04d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        base = sample_image(SAMPLE_NAMES[i % len(SAMPLE_NAMES)])
        big = base.resize(CAMERA, Image.Resampling.BICUBIC)
        arr = np.asarray(big, dtype=np.int16)
        noise = rng.integers(-6, 7, size=(CAMERA[1], CAMERA[0], 1), dtype=np.int16)
        arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(path, quality=92, exif=exif_bytes(1 + i % 8, "Bench Camera"))
    return paths


def export_lite0_model(folder: Path, bits: int = 48, graph: str = "simplified",
                       flip_average: bool = False) -> Path:
    import torch

    from desktop_app.core.encoder import Encoder, ModelFolder, probe_inputs
    from desktop_app.core.hashing import pack_bits
    from desktop_app.core.model_card import (
        InputSpec,
        ModelCard,
        OutputSpec,
        ProbeSpec,
        file_sha256,
        write_card,
    )
    from trainer.backbones import INPUT_SCALING, FlipAveraged, build_backbone
    from trainer.export import export_onnx

    torch.manual_seed(0)
    torch.set_num_threads(2)
    backbone = build_backbone("efficientnet_lite0")
    if flip_average:  # the graph a model trained with --flip-average ships
        backbone = FlipAveraged(backbone)
    head = torch.nn.Linear(1280, bits)

    class Hasher(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone, self.head = backbone, head

        def forward(self, pixels):
            return self.head(self.backbone(pixels))

    net = Hasher().eval()
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / "model.onnx"
    if graph == "simplified":  # the trainer's own export path: the graph models ship with
        export_onnx(net, onnx_path, (224, 224), output_name="codes")
    else:  # torch's export as it comes (what models shipped with before trainer/onnx_simplify)
        torch.onnx.export(net, torch.zeros(1, 3, 224, 224), str(onnx_path),
                          input_names=["pixels"], output_names=["codes"],
                          dynamic_axes={"pixels": {0: "n"}, "codes": {0: "n"}}, opset_version=17,
                          dynamo=False)
    card = ModelCard(name="bench-lite0-48", onnx_sha256=file_sha256(onnx_path),
                     input=InputSpec(size=(224, 224), resize_shorter=224, crop="center",
                                     scale=INPUT_SCALING["scale"], mean=INPUT_SCALING["mean"],
                                     std=INPUT_SCALING["std"]),
                     output=OutputSpec(bits=bits), probe=ProbeSpec(seed=0, count=2))
    enc = Encoder(ModelFolder(folder, card), self_test=False)
    codes = pack_bits(enc.raw_outputs(probe_inputs(card)) > 0)
    card = ModelCard(**{**card.__dict__, "probe": ProbeSpec(
        seed=0, count=2, expected_codes_hex=tuple(c.tobytes().hex() for c in codes),
        max_flipped_bits=1)})
    write_card(card, folder)
    return folder


def decode_only(paths, spec, threads: int) -> float:
    from desktop_app.core.pipeline import ordered_map, prepare
    from desktop_app.core.scan import stat_entry

    entries = [stat_entry(str(p)) for p in paths]
    started, cpu = time.perf_counter(), time.process_time()
    for prepared in ordered_map(lambda e: prepare(e, spec), entries, threads, window=64):
        assert prepared.pixels is not None, prepared.error
    return time.perf_counter() - started, time.process_time() - cpu


def end_to_end(folder: Path, model_dir: Path, db: Path, threads: int, encoder_threads: int,
               batch: int | None) -> tuple[float, float]:
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.library import PhotoLibrary
    from desktop_app.core.store import Store

    db.unlink(missing_ok=True)
    store = Store(db)
    lib = PhotoLibrary(store, load_encoder(model_dir, intra_op_threads=encoder_threads),
                       batch_size=batch, decode_threads=threads)
    started, cpu = time.perf_counter(), time.process_time()
    report = lib.index_folder(folder)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    assert report.failed == 0, report.errors
    return seconds, cpu


def encode_only(model_dir: Path, count: int, encoder_threads: int,
                batch: int) -> tuple[float, float]:
    from desktop_app.core.encoder import load_encoder

    enc = load_encoder(model_dir, intra_op_threads=encoder_threads)
    pixels = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    enc.encode_pixels(pixels)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(max(1, count // batch)):
        enc.encode_pixels(pixels)
    done = max(1, count // batch) * batch
    return (time.perf_counter() - started) / done, (time.process_time() - cpu) / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--photo-dir", default=str(Path(tempfile.gettempdir()) /
                                                  "lookalike-bench-12mp"))
    parser.add_argument("--configs", default="2:1,2:2,3:1",
                        help="decode threads:encoder threads pairs to try")
    parser.add_argument("--batch", type=int, default=None,
                        help="encoder batch (default: the library's default for the provider)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--graph", choices=("simplified", "plain"), default="simplified",
                        help="the encoder graph: as the trainer exports it, or torch's plain "
                             "export (for a before/after comparison)")
    parser.add_argument("--flip-average", action="store_true",
                        help="the encoder averages each photo with its mirror image, as a model "
                             "trained with --flip-average does (the backbone runs twice)")
    parser.add_argument("--out", default="bench/results/core-index-speed.md")
    args = parser.parse_args()

    photo_dir = Path(args.photo_dir)
    print(f"generating/reusing {args.photos} 12 MP JPEGs in {photo_dir} ...", flush=True)
    paths = make_camera_jpegs(photo_dir, args.photos)
    for extra in sorted(photo_dir.glob("IMG_*.jpg"))[args.photos:]:
        extra.unlink()
    size_mb = statistics.mean(p.stat().st_size for p in paths) / 1e6
    work = Path(tempfile.mkdtemp(prefix="lookalike-bench-"))
    try:
        run(args, paths, size_mb, photo_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the exported model and the library, ~14 MB


def run(args, paths: list[Path], size_mb: float, photo_dir: Path, work: Path) -> None:
    from desktop_app.core.model_card import read_card

    model_dir = export_lite0_model(work / "model", graph=args.graph,
                                   flip_average=args.flip_average)
    spec = read_card(model_dir).input
    lines = [header("Indexing speed: 12 MP camera JPEGs, EfficientNet-Lite0 48-bit at 224 px"),
             (f"- photos: {len(paths)} JPEGs, {CAMERA[0]}x{CAMERA[1]}, EXIF orientation 1-8, "
              f"mean {size_mb:.1f} MB; encoder graph {args.graph}{FLIPPED * args.flip_average}; "
              f"encoder batch "
              f"{args.batch or 'library default (1 on CPU)'}; best of {args.repeats} runs\n"),
             ("| decode threads | encoder threads | decode only (s) | decode photos/s | "
              "end to end (s) | end-to-end photos/s | ratio e2e/decode | decode CPU ms/photo | "
              "e2e CPU ms/photo | 2 idle cores would give (photos/s) |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for config in args.configs.split(","):
        threads, enc_threads = (int(x) for x in config.split(":"))
        dec, dec_cpu = min(decode_only(paths, spec, threads) for _ in range(args.repeats))
        e2e, e2e_cpu = min(end_to_end(photo_dir, model_dir, work / "lib.sqlite3", threads,
                                      enc_threads, args.batch) for _ in range(args.repeats))
        n = len(paths)
        # CPU time is what the shared machine cannot distort: on 2 idle cores the best case is
        # 2 s of CPU per wall second.
        row = (f"| {threads} | {enc_threads} | {dec:.2f} | {n / dec:.1f} | {e2e:.2f} | "
               f"{n / e2e:.1f} | {e2e / dec:.2f} | {dec_cpu / n * 1000:.1f} | "
               f"{e2e_cpu / n * 1000:.1f} | {2 * n / e2e_cpu:.1f} |")
        print(row, flush=True)
        lines.append(row)
    lines.append("\nEncoder alone (1 thread), by batch size:")
    for batch in (1, 4, 32):
        wall, cpu = encode_only(model_dir, 64, 1, batch)
        lines.append(f"- batch {batch}: {wall * 1000:.1f} ms/photo wall, {cpu * 1000:.1f} ms "
                     "CPU")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text + "\n" + NOTES_PLACEHOLDER)
    print(text)


NOTES_PLACEHOLDER = "## Notes\n\n(written by hand after the run)\n"

if __name__ == "__main__":
    main()
