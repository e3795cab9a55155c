"""Speed goal of `lookalike train`: 3,000 labelled photos -> a usable model in under 10 minutes
on a 2-core CPU. Generates camera-sized JPEG albums (10 labels x 300 photos: random crops, flips
and colour changes of scikit-image's sample photographs plus CIFAR-10 classes upscaled, so the
labels are not trivially separable), then times the one-shot command:

    nice -n 10 .venv/bin/python bench/train_speed.py [--photos 3000]

Writes bench/results/train-speed.md (and .json) with the phases' times and the model's mAP.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
from _common import machine

SAMPLES = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "retina",
           "hubble_deep_field", "colorwheel")


def make_albums(root: Path, photos: int, seed: int = 0) -> None:
    from photos import sample_image

    rng = np.random.default_rng(seed)
    sources = {name: [sample_image(name)] for name in SAMPLES}
    try:  # two more labels from CIFAR-10 classes (many different photos per label)
        from cifar_data import load_images

        images, labels, _ = load_images()
        for c, name in ((3, "cifar-cat"), (9, "cifar-truck")):
            idx = rng.choice(np.flatnonzero(labels == c), 300, replace=False)
            sources[name] = [Image.fromarray(images[i]) for i in idx]
    except SystemExit:
        pass
    per_label = photos // len(sources)
    for name, imgs in sources.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_label):
            im = imgs[k % len(imgs)]
            w, h = im.size
            cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
            x0, y0 = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
            im2 = im.crop((x0, y0, x0 + cw, y0 + ch))
            if rng.random() < 0.5:
                im2 = im2.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            im2 = ImageEnhance.Color(im2).enhance(rng.uniform(0.6, 1.4))
            im2 = ImageEnhance.Brightness(im2).enhance(rng.uniform(0.7, 1.3))
            im2 = im2.resize((2016, 1512), Image.Resampling.BILINEAR)  # 3 MP, camera-like
            im2.save(folder / f"{name}-{k:04d}.jpg", quality=88)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=3000)
    ap.add_argument("--bits", type=int, default=48)
    ap.add_argument("--work", default=str(Path.home() / ".cache" / "lookalike-bench" / "speed"))
    ap.add_argument("--flip-average", action="store_true",
                    help="train with --flip-average (each photo's features averaged with its "
                         "mirror image's: the backbone runs twice); results: train-speed-flipavg.*")
    args = ap.parse_args()
    work = Path(args.work)
    albums = work / f"albums-{args.photos}"
    if not albums.is_dir():
        t = time.time()
        make_albums(albums, args.photos)
        print(f"generated albums in {time.time() - t:.0f} s", flush=True)
    out = work / "model"
    home = work / "home"  # fresh feature cache: the timing includes extraction
    subprocess.run(["rm", "-rf", str(out), str(home)], check=True)
    env = {**os.environ, "LOOKALIKE_HOME": str(home)}
    cmd = [sys.executable, "-m", "trainer", "run", str(albums), "--out", str(out), "--bits",
           str(args.bits), "--progress", "json"] + (["--flip-average"] if args.flip_average else [])
    t0 = time.time()
    phases: dict[str, float] = {}
    last_phase, last_t = None, t0
    done = None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    for line in proc.stdout:
        e = json.loads(line)
        now = time.time()
        if e["event"] == "progress" and e["phase"] != last_phase:
            if last_phase:
                phases[last_phase] = phases.get(last_phase, 0) + now - last_t
            last_phase, last_t = e["phase"], now
        if e["event"] in ("done", "error"):
            done = e
    proc.wait()
    total = time.time() - t0
    if last_phase:
        phases[last_phase] = phases.get(last_phase, 0) + time.time() - last_t
    result = {"photos": args.photos, "bits": args.bits, "seconds": round(total, 1),
              "phases_s": {k: round(v, 1) for k, v in phases.items()}, "final_event": done,
              "exit_code": proc.returncode, "machine": machine()}
    print(json.dumps(result, indent=1))
    res = REPO / "bench" / "results"
    res.mkdir(exist_ok=True)
    # Committed results name no machine's home folder (the done event carries the model path).
    text = json.dumps(result, indent=1).replace(str(Path.home()), "~")
    name = "train-speed-flipavg" if args.flip_average else "train-speed"
    (res / f"{name}.json").write_text(text + "\n")
    ev = (done or {}).get("evaluation", {})
    flag = " --flip-average" if args.flip_average else ""
    (res / f"{name}.md").write_text(
        f"# `lookalike train`: {args.photos} photos to a {args.bits}-bit model\n\n"
        f"Command: `nice -n 10 .venv/bin/python bench/train_speed.py --photos {args.photos}"
        f"{flag}` (runs `python -m trainer run ALBUMS --out MODEL --bits {args.bits} "
        f"--progress json{flag}` "
        f"with an empty feature cache).\nMachine: {machine()}.\n\n"
        f"Total: **{total / 60:.1f} min** (goal: under 10). Phases (s): "
        f"{', '.join(f'{k} {v:.0f}' for k, v in phases.items())}.\n"
        f"Exit code {proc.returncode}; query mAP@all of the exported model: "
        f"{ev.get('map_all')} ({ev.get('queries')} queries, {ev.get('database')} database).\n")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
