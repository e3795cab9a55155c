"""Ablation on CIFAR-10 protocol 1, frozen backbone: A (hash layer trained directly at L bits)
against B (NMLayer progressive from a long code, merged down to L), L = 12, 24, 32, 48.

Same backbone features, loss, splits and per-run step budget (A gets, at every length, the whole
step budget of B's chain). Model selection and bit importance use the validation split carved out
of the 5,000 training images; the query set is touched once, for the final table.

    nice -n 10 .venv/bin/python bench/cifar_ablation.py [--size 128] [--seeds 0 1 2]

Writes bench/results/cifar-ablation.md, cifar-ablation.json and the importance plots.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import home_to_tilde, machine, nice_prefix
from cifar_data import features, load_images, protocol1
from paired import describe, paired_comparison

from trainer.metrics import code_health, mean_average_precision, tie_aware_map
from trainer.training import HeadConfig, HeadTrainer, total_steps

RESULTS = Path(__file__).resolve().parent / "results"
LENGTHS = (48, 32, 24, 12)


def encode(result_net, feats):
    import torch

    with torch.no_grad():
        return result_net(torch.from_numpy(feats)).numpy() > 0


def query_scores(head, feats, labels, split) -> dict:
    """mAP@all of a head's codes on the queries, with ties in database order (the protocol; our
    database is stored class by class) and averaged over every order of the tied items (the same
    whatever the database's order), and the database codes' health."""
    import torch

    with torch.no_grad():
        q = head(torch.from_numpy(feats[split.query])).numpy() > 0
        db = head(torch.from_numpy(feats[split.database])).numpy() > 0
    ql, dl = labels[split.query], labels[split.database]
    return {"map_all": mean_average_precision(q, ql, db, dl),
            "map_all_tie_aware": tie_aware_map(q, ql, db, dl), "health": code_health(db)}


def query_map(head, feats, labels, split) -> tuple[float, dict]:
    scores = query_scores(head, feats, labels, split)
    return scores["map_all"], scores["health"]


def float_cosine_map(feats, labels, split) -> float:
    """Context for a table: mAP@all of the float features ranked by cosine (centred on fit)."""
    f = feats - feats[split.fit].mean(0)
    f /= np.linalg.norm(f, axis=1, keepdims=True) + 1e-8
    sims = f[split.query] @ f[split.database].T
    order = np.argsort(-sims, axis=1, kind="stable")
    rel = labels[split.query][:, None] == labels[split.database][order]
    hits = np.cumsum(rel, 1)
    precision = hits / np.arange(1, rel.shape[1] + 1)
    return float(((precision * rel).sum(1) / hits[:, -1]).mean())


# The step budget and schedule both A and B get (bench/cifar_finetune_cpu.py uses it too).
HEAD_BASE = {"long_bits": 128, "stages": (64, 48, 32, 24, 12), "hidden": 0, "long_steps": 1000,
             "active_steps": 200, "merge_rounds": 4, "frozen_steps": 600, "eval_every": 50,
             "patience": 4, "batch_size": 256, "lr": 1e-3}


def compare_heads(feats, labels, split, base: dict, seed: int, merge: str = "sum",
                  reuse: dict | None = None) -> dict:
    """One seed of the comparison: B (NMLayer chain from `base`) and A (a head trained directly
    at each length with B's whole step budget), each scored once on the query set.
    `reuse`: an earlier run of this seed whose A results stand (same budget, checked)."""
    cfg_b = HeadConfig(**base, seed=seed, merge=merge)
    t0 = time.time()
    res_b = HeadTrainer(feats, labels, split.fit, split.val, cfg_b).run()
    budget = total_steps(cfg_b)
    run = {"seed": seed, "budget_steps": budget,
           "B": {"seconds": time.time() - t0, "steps": res_b.steps}, "A": {}}
    run["B"]["stages"] = [{"bits": s.bits, "val_map": s.val_map, "spread":
                           s.importance_spread, "importance": s.importance,
                           "health": s.health} for s in res_b.stages]
    for L in LENGTHS:
        run["B"][str(L)] = scores = query_scores(res_b.head(L), feats, labels, split)
        print(f"seed {seed} B {L:2d} bits: mAP@all {scores['map_all']:.4f} (tie-aware "
              f"{scores['map_all_tie_aware']:.4f})", flush=True)
    if reuse is not None:
        assert reuse["budget_steps"] == budget, "the reused A runs had another budget"
        run["A"] = reuse["A"]
        return run
    for L in LENGTHS:
        cfg_a = HeadConfig(**{**base, "long_bits": L, "stages": (), "long_steps": budget},
                           seed=seed)
        t0 = time.time()
        res_a = HeadTrainer(feats, labels, split.fit, split.val, cfg_a).run()
        scores = query_scores(res_a.head(L), feats, labels, split)
        st = res_a.stages[-1]
        run["A"][str(L)] = {**scores, "val_map": st.val_map,
                            "spread": st.importance_spread, "importance": st.importance,
                            "steps": res_a.steps, "seconds": time.time() - t0}
        print(f"seed {seed} A {L:2d} bits: mAP@all {scores['map_all']:.4f} (tie-aware "
              f"{scores['map_all_tie_aware']:.4f}; val {st.val_map:.4f}, "
              f"spread {st.importance_spread:.3f})", flush=True)
    return run


def chain_from_head(feats, labels, split, base: dict, seed: int, net_state: dict,
                    merge: str = "sum") -> dict:
    """B started from a trained long-code head (e.g. the one fine-tuned with the backbone)
    instead of a fresh one: stage 0 is skipped, the NMLayer stages run as in compare_heads."""
    from trainer.model import HashNet

    cfg = HeadConfig(**{**base, "long_steps": 0}, seed=seed, merge=merge)
    trainer = HeadTrainer(feats, labels, split.fit, split.val, cfg)
    net = HashNet.from_state(net_state)
    if (net.long_bits, net.hidden, net.classes, len(net.nm_layers)) != (
            cfg.long_bits, cfg.hidden, trainer.net.classes, 0):
        raise ValueError("the given head does not match the chain's configuration")
    net.merge = merge  # no stage yet: the chain's merges are still to come
    trainer.net = net  # keeps its own centre: the one it was trained with
    trainer.opt = trainer._optimizer()
    t0 = time.time()
    res = trainer.run()
    run = {"seed": seed, "budget_steps": total_steps(cfg), "seconds": time.time() - t0,
           "steps": res.steps,
           "stages": [{"bits": s.bits, "val_map": s.val_map, "spread": s.importance_spread,
                       "importance": s.importance, "health": s.health} for s in res.stages]}
    for L in LENGTHS:
        run[str(L)] = scores = query_scores(res.head(L), feats, labels, split)
        print(f"seed {seed} B from the trained head, {L:2d} bits: mAP@all "
              f"{scores['map_all']:.4f} (tie-aware {scores['map_all_tie_aware']:.4f})",
              flush=True)
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--long-bits", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=0)
    ap.add_argument("--tag", default="")
    ap.add_argument("--merge", choices=("sum", "mean"), default="sum",
                    help="B's merge: sum of the group (method notes) or its mean")
    ap.add_argument("--merge-rounds", type=int, default=HEAD_BASE["merge_rounds"],
                    help="merge rounds per stage; a large value (e.g. 1000) merges one output "
                         "per round, as in the paper")
    ap.add_argument("--active-steps", type=int, default=HEAD_BASE["active_steps"],
                    help="training steps of a stage's active phase, spread over its rounds")
    ap.add_argument("--frozen-steps", type=int, default=HEAD_BASE["frozen_steps"],
                    help="most steps of a stage's frozen phase (A's budget grows with B's)")
    ap.add_argument("--patience", type=int, default=HEAD_BASE["patience"],
                    help="validation checks without a gain before a frozen phase (and A) stops")
    ap.add_argument("--features", nargs="+", help="a features file [60000, D] (.npy) to use "
                    "instead of the frozen ImageNet features, e.g. a fine-tuned backbone's from "
                    "bench/cifar_finetune_cpu.py; several files are joined side by side (the "
                    "features of an ensemble of backbones)")
    ap.add_argument("--a-from", help="reuse the A runs of this results file (same seeds and "
                                     "head settings, checked where the file records them) "
                                     "instead of training them again")
    ap.add_argument("--cls-weight", type=float, default=0.0,
                    help="weight of the classification term (head.cls_weight) in A and B, as "
                         "bench/cifar_finetune_cpu.py --cls-weight uses for its heads")
    ap.add_argument("--feature-mix", type=float, default=0.0,
                    help="share of training photos whose features are blended with another's "
                         "(head.feature_mix) in A and B")
    ap.add_argument("--feature-mix-alpha", type=float, default=0.4,
                    help="Beta(alpha, alpha) of a blend's weight (head.feature_mix_alpha)")
    ap.add_argument("--tuned-head", help="also run B from this trained 128-bit head (the "
                    "*.head.pt bench/cifar_finetune_cpu.py saves beside its features): that "
                    "script's headline chain, per seed")
    ap.add_argument("--from-json", nargs="+",
                    help="only rewrite the report and plots from a results file; several files "
                         "(seeds run in separate processes, same settings) are joined and "
                         "written as one results file under --tag")
    args = ap.parse_args()
    if args.from_json:
        out = join_results([json.loads(Path(f).read_text()) for f in args.from_json])
        # the report prints a command from these arguments: it must be the one that ran
        given = as_recorded(head_settings(args))
        if out.get("head_base", given) != given:
            raise SystemExit(f"the results were made with {out['head_base']}; give the arguments "
                             "that made them, so the report's command line is true")
        tag = f"-{args.tag}" if args.tag else ""
        if len(args.from_json) > 1:
            (RESULTS / f"cifar-ablation{tag}.json").write_text(json.dumps(out, indent=1) + "\n")
        write_report(out, tag, args)
        plot_importance(out, tag)
        return 0
    import torch

    torch.set_num_threads(1)  # the head is small; one thread avoids spin-waits on a shared CPU
    t_start = time.time()
    _, labels, is_test = load_images()
    feats = (np.concatenate([np.load(f) for f in args.features], axis=1) if args.features
             else features(args.size))
    out: dict = {"size": args.size, "seeds": args.seeds, "cls_weight": args.cls_weight,
                 "runs": []}
    split = protocol1(labels, is_test, seed=0)
    out["float_cosine_map"] = float_cosine_map(feats, labels, split)
    print(f"float features (cosine, centred) mAP@all {out['float_cosine_map']:.4f}", flush=True)

    base = head_settings(args)
    out["head_base"] = as_recorded(base)
    reuse = json.loads(Path(args.a_from).read_text()) if args.a_from else None
    # files written before the settings were recorded pass here; the budget is checked per seed
    if reuse is not None and reuse.get("head_base", out["head_base"]) != out["head_base"]:
        raise SystemExit(f"{args.a_from}: its A heads were trained with other settings "
                         f"({reuse['head_base']}), so they cannot stand in for these")
    for seed in args.seeds:
        previous = (next(r for r in reuse["runs"] if r["seed"] == seed) if reuse is not None
                    else None)
        run = compare_heads(feats, labels, split, base, seed, merge=args.merge, reuse=previous)
        if args.tuned_head:
            state = torch.load(args.tuned_head, weights_only=True)
            run["B_tuned"] = chain_from_head(feats, labels, split, base, seed, state,
                                             merge=args.merge)
        out["runs"].append(run)
    out["wall_seconds"] = time.time() - t_start
    out["machine"] = machine()
    out["python"] = platform.python_version()
    tag = f"-{args.tag}" if args.tag else ""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"cifar-ablation{tag}.json").write_text(json.dumps(out, indent=1) + "\n")
    write_report(out, tag, args)
    plot_importance(out, tag)
    return 0


def head_settings(args) -> dict:
    """The head settings A and B share, as the command line gives them."""
    return {**HEAD_BASE, "long_bits": args.long_bits,
            "hidden": args.hidden, "active_steps": args.active_steps,
            "merge_rounds": args.merge_rounds, "cls_weight": args.cls_weight,
            "frozen_steps": args.frozen_steps, "patience": args.patience,
            **({"feature_mix": args.feature_mix, "feature_mix_alpha": args.feature_mix_alpha}
               if args.feature_mix else {})}


def as_recorded(base: dict) -> dict:
    """Head settings in the form the results JSON holds them (stages as a list)."""
    return {**base, "stages": list(base["stages"])}


def join_results(parts: list[dict]) -> dict:
    """One results file from several runs of the same settings on different seeds. Wall time:
    the processes' sum, so the report does not understate the work."""
    per_run = ("seeds", "runs", "wall_seconds", "processes")
    settings = [{k: v for k, v in p.items() if k not in per_run} for p in parts]
    if any(s != settings[0] for s in settings[1:]):
        raise SystemExit("these results files were made with different settings; not joined")
    runs = sorted((r for p in parts for r in p["runs"]), key=lambda r: r["seed"])
    seeds = [r["seed"] for r in runs]
    if len(set(seeds)) != len(seeds):
        raise SystemExit(f"a seed appears in more than one results file: {seeds}")
    return {**parts[0], "seeds": seeds, "runs": runs,
            "wall_seconds": sum(p["wall_seconds"] for p in parts),
            "processes": sum(p.get("processes", 1) for p in parts)}


def write_report(out: dict, tag: str, args) -> None:
    runs = out["runs"]

    def mean(xs):
        xs = [np.nan if x is None else x for x in xs]
        return float(np.mean(xs)), float(np.std(xs))

    source = ("from bench/cifar_finetune_cpu.py" if args.features else
              "cached beforehand by bench/cifar_data.py")
    files = args.features or []
    changed = lambda key: getattr(args, key) != HEAD_BASE[key]  # flags the command needs
    mix_alpha_changed = args.feature_mix and args.feature_mix_alpha != 0.4
    what = (f"features from {' + '.join(Path(f).name for f in files)}" if files else
            f"frozen EfficientNet-Lite0 features ({args.size} px)")
    lines = [f"# CIFAR-10 protocol 1 ablation, {what}",
             "", (f"Command: `{nice_prefix()}.venv/bin/python bench/cifar_ablation.py"
             f"{'' if args.features else f' --size {args.size}'}"  # unused with --features
             f" --seeds {' '.join(map(str, args.seeds))} --long-bits {args.long_bits} --hidden "
             f"{args.hidden}{' --tag ' + args.tag if args.tag else ''}"
             f"{' --merge ' + args.merge if args.merge != 'sum' else ''}"
             f"{f' --merge-rounds {args.merge_rounds}' if changed('merge_rounds') else ''}"
             f"{f' --active-steps {args.active_steps}' if changed('active_steps') else ''}"
             f"{f' --frozen-steps {args.frozen_steps}' if changed('frozen_steps') else ''}"
             f"{f' --patience {args.patience}' if changed('patience') else ''}"
             f"{' --a-from ' + args.a_from if args.a_from else ''}"
             f"{f' --cls-weight {args.cls_weight:g}' if args.cls_weight else ''}"
             f"{f' --feature-mix {args.feature_mix:g}' if args.feature_mix else ''}"
             f"{f' --feature-mix-alpha {args.feature_mix_alpha:g}' if mix_alpha_changed else ''}"
             f"{' --tuned-head ' + home_to_tilde(args.tuned_head) if args.tuned_head else ''}"
             f"{' --features ' + ' '.join(map(home_to_tilde, files)) if files else ''}`"),
             (f"Machine: {out['machine']}. Wall time {out['wall_seconds'] / 60:.1f} min"
              + (f", summed over {out['processes']} processes"
                 if out.get("processes", 1) > 1 else "") + f" (features {source})."),
             f"Float features, cosine ranking (context): mAP@all {out['float_cosine_map']:.4f}.",
             "", ("mAP@all over the 59,000-image database, 1,000 queries (mean over seeds, "
                  "+- std); importance spread = std/mean of I_m on the validation split."), "",
             ("| bits | A direct mAP@all | B NMLayer mAP@all | B - A | A spread | B spread | "
              f"A distinct codes (seed {runs[0]['seed']}) | B distinct codes |"),
             "|---|---|---|---|---|---|---|---|"]
    for L in LENGTHS:
        a = mean([r["A"][str(L)]["map_all"] for r in runs])
        b = mean([r["B"][str(L)]["map_all"] for r in runs])
        sa = mean([r["A"][str(L)]["spread"] for r in runs])[0]
        sb = mean([next(s["spread"] for s in r["B"]["stages"] if s["bits"] == L) for r in runs])[0]
        da = runs[0]["A"][str(L)]["health"]["distinct_codes"]
        db = runs[0]["B"][str(L)]["health"]["distinct_codes"]
        lines.append(f"| {L} | {a[0]:.4f} +- {a[1]:.4f} | {b[0]:.4f} +- {b[1]:.4f} | "
                     f"{b[0] - a[0]:+.4f} | {sa:.2f} | {sb:.2f} | {da} | {db} |")
    if len(runs) > 1:
        lines += ["", ("B - A seed by seed (each seed trains A and B on the same splits with the "
                       "same seed): mean [95% bootstrap interval], seeds where B is ahead, exact "
                       "sign-flip p-value (bench/paired.py)."), "",
                  "| bits | B - A paired |", "|---|---|"]
        for L in LENGTHS:
            c = paired_comparison([r["A"][str(L)]["map_all"] for r in runs],
                                  [r["B"][str(L)]["map_all"] for r in runs])
            lines.append(f"| {L} | {describe(c)} |")
    lines += order_free_table(runs)
    long = runs[0]["B"]["stages"][0]
    lines += ["", (f"B's long code ({long['bits']} bits, seed {runs[0]['seed']}) before merging: "
                   "validation mAP "
                   f"{long['val_map']:.4f}, importance spread {long['spread']:.2f}."),
              (f"Budget: {runs[0]['budget_steps']} steps per run (A at each length, B for the "
               "whole chain); batch 256; Adam 1e-3; a frozen phase, and A, stop after "
               f"{out.get('head_base', HEAD_BASE)['patience']} validation checks without a "
               "gain."), ""]
    (RESULTS / f"cifar-ablation{tag}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def order_free_table(runs: list[dict]) -> list[str]:
    """Report lines: mAP@all averaged over every order of tied items, beside the goal (results
    files written before it was measured have none: no lines)."""
    if any("map_all_tie_aware" not in r["B"][str(L)] for r in runs for L in LENGTHS):
        return []
    tuned = all("B_tuned" in r for r in runs)

    def cell(key, L):
        xs = [r[key][str(L)].get("map_all_tie_aware") for r in runs]
        return "n/a" if None in xs else f"{np.mean(xs):.4f} +- {np.std(xs):.4f}"

    lines = ["", ("Order-free mAP@all (mean over seeds, +- std): the mean over every order of the "
                  "photos a Hamming distance ties (trainer.metrics.tie_aware_map). The table "
                  "above breaks ties in database order, as the protocol says, and this database "
                  "is stored class by class (train, then test, each class by class), so a tie "
                  "group's photos of one class sit together; here the order does not matter."),
             "", "| bits | A direct | B NMLayer | " + ("B from the tuned head | " if tuned else "")
             + "same, ties in database order (" + ("B from the tuned head" if tuned else "B")
             + ") | goal |", "|---|---|---|" + ("---|" if tuned else "") + "---|---|"]
    goal = {48: 0.85, 32: 0.84, 24: 0.83, 12: 0.80}
    for L in LENGTHS:
        key = "B_tuned" if tuned else "B"
        ordered = np.mean([r[key][str(L)]["map_all"] for r in runs])
        lines.append(f"| {L} | {cell('A', L)} | {cell('B', L)} | "
                     + (f"{cell('B_tuned', L)} | " if tuned else "")
                     + f"{ordered:.4f} | {goal[L]:.2f} |")
    return lines


def _f(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def plot_importance(out: dict, tag: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = out["runs"][0]
    stages = run["B"]["stages"]
    fig, axes = plt.subplots(1, len(LENGTHS) + 1, figsize=(4 * (len(LENGTHS) + 1), 3.2))
    long = stages[0]
    axes[0].bar(range(len(long["importance"])), sorted(long["importance"], reverse=True))
    axes[0].set_title(f"B before merging: {long['bits']} bits\nspread {_f(long['spread'])}")
    axes[0].set_xlabel("bit (sorted)")
    axes[0].set_ylabel("I_m (validation mAP drop)")
    for ax, L in zip(axes[1:], LENGTHS):
        b = next(s for s in stages if s["bits"] == L)
        a = run["A"][str(L)]
        ax.bar(np.arange(L) - 0.2, sorted(a["importance"], reverse=True), 0.4,
               label=f"A direct (spread {_f(a['spread'])})")
        ax.bar(np.arange(L) + 0.2, sorted(b["importance"], reverse=True), 0.4,
               label=f"B merged (spread {_f(b['spread'])})")
        ax.set_title(f"{L} bits")
        ax.set_xlabel("bit (sorted)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / f"cifar-importance{tag}.png", dpi=90)


if __name__ == "__main__":
    raise SystemExit(main())
