"""Head training on features: the progressive chain, resume after interruption, torch.distributed
with two CPU processes (gloo), configuration handling."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from tiny_finetune import tiny_finetune_inputs
from two_ranks import on_two_ranks

from trainer import config as config_mod
from trainer.albums import AlbumError
from trainer.pipeline import head_config
from trainer.training import (
    HeadConfig,
    HeadTrainer,
    Stopped,
    blend_features,
    plan,
    total_steps,
)

CFG = HeadConfig(long_bits=24, stages=(16, 12), long_steps=30, active_steps=12, merge_rounds=3,
                 frozen_steps=30, eval_every=10, patience=2, batch_size=32)
CFG_CLS = dataclasses.replace(CFG, cls_weight=1.0)  # with the classification term
CFG_MIX = dataclasses.replace(CFG_CLS, feature_mix=1.0)  # and features blended in pairs


def clusters(n=300, classes=4, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = 3 * rng.standard_normal((classes, dim))[y] + rng.standard_normal((n, dim)) + 10.0
    return x.astype(np.float32), y


def test_plan_reaches_every_stage_length():
    tasks = plan(CFG)
    merged = sum(n for kind, _, n in tasks if kind == "merge")
    assert merged == 24 - 12
    assert total_steps(CFG) == 30 + 2 * (12 + 30)
    with pytest.raises(ValueError):
        plan(HeadConfig(long_bits=16, stages=(16,)))


def test_progressive_training_learns_and_records_every_stage():
    x, y = clusters()
    result = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), CFG).run()
    assert [s.bits for s in result.stages] == [24, 16, 12]
    assert sorted(result.heads) == [12, 16, 24]
    assert all(len(s.importance) == s.bits for s in result.stages)
    assert result.stages[-1].val_map > 0.6  # 4 well separated clusters, uncentred features
    with torch.no_grad():
        codes = result.head(12)(torch.from_numpy(x)) > 0
        assert torch.equal(codes, result.net(torch.from_numpy(x)) > 0)
    assert result.stages[-1].health["distinct_codes"] > 1


def test_progress_ends_at_the_plans_total_when_a_frozen_phase_stops_early():
    """Steps skipped by an early stop count as done: else the bar ended at 64% and its time
    left counted steps that never ran."""
    x, y = clusters()
    cfg = dataclasses.replace(CFG, frozen_steps=300, long_steps=300, patience=1)
    reported = []
    result = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), cfg).run(reported.append)
    assert result.steps < total_steps(cfg)  # some phase stopped early
    steps = [p["step"] for p in reported]
    assert steps == sorted(steps) and len(steps) == result.steps
    assert steps[-1] == reported[-1]["steps"] == total_steps(cfg)
    # and the steps run, which the time left is measured on (trainer.progress.Reporter)
    assert [p["ran"] for p in reported] == list(range(1, result.steps + 1))


def test_classification_term_trains_a_classifier_through_the_merges():
    x, y = clusters(seed=3)
    result = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), CFG_CLS).run()
    assert [s.bits for s in result.stages] == [24, 16, 12]
    assert result.stages[-1].val_map > 0.6
    with torch.no_grad():
        logits = result.net.class_logits(result.net(torch.from_numpy(x[240:])))
    accuracy = float((logits.argmax(1).numpy() == y[240:]).mean())
    assert accuracy > 0.8  # 4 separable clusters; chance is 0.25
    assert result.net.folded().bits == 12  # the classifier is not exported


@pytest.mark.parametrize("cfg", [CFG, CFG_CLS, CFG_MIX],
                         ids=["pairwise", "with-classification", "features-blended"])
def test_resume_after_interruption_gives_the_same_model(tmp_path, cfg):
    x, y = clusters(seed=1)
    args = (x, y, np.arange(240), np.arange(240, 300), cfg)
    reference = HeadTrainer(*args).run()

    ckpt = tmp_path / "checkpoint.pt"
    calls = {"n": 0}

    def stop_midway() -> bool:
        calls["n"] += 1
        return calls["n"] == 45  # inside stage 1, after some merges

    def save(t: HeadTrainer) -> None:
        torch.save(t.state(), ckpt)

    with pytest.raises(Stopped):
        HeadTrainer(*args).run(should_stop=stop_midway, checkpoint=save)
    resumed = HeadTrainer(*args)
    resumed.load_state(torch.load(ckpt, weights_only=True))  # no arbitrary unpickling
    assert 0 < resumed.step < total_steps(cfg)
    result = resumed.run()
    for bits in (24, 16, 12):
        a, b = reference.head(bits).state(), result.head(bits).state()
        for key in a:
            assert torch.equal(a[key], b[key]), (bits, key)
    assert [s.val_map for s in result.stages] == [s.val_map for s in reference.stages]


def test_blend_features_mixes_the_share_asked_for():
    x = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    same, mix = blend_features(x, np.random.default_rng(0), 0.0, 0.4)
    assert torch.equal(same, x) and bool((mix.lam == 1).all())
    blended, mix = blend_features(x, np.random.default_rng(0), 1.0, 0.4)
    assert bool((mix.lam < 1).all()) and sorted(mix.perm.tolist()) == list(range(20))
    lam = mix.lam[:, None]
    assert torch.allclose(blended, lam * x + (1 - lam) * x[mix.perm])
    half = blend_features(x, np.random.default_rng(1), 0.5, 0.4)[1].lam
    assert 0 < int((half == 1).sum()) < 20


def test_blended_features_train_another_head_that_still_learns():
    x, y = clusters(seed=2)
    args = (x, y, np.arange(240), np.arange(240, 300))
    plain = HeadTrainer(*args, CFG_CLS).run()
    mixed = HeadTrainer(*args, CFG_MIX).run()
    assert not torch.equal(plain.head(12).state()["weight"], mixed.head(12).state()["weight"])
    assert mixed.stages[-1].val_map > 0.8  # 4 separable clusters


def test_fine_tuning_keeps_feature_blending_but_refuses_it_beside_photo_blending():
    from trainer.finetune import finetune_config

    cfg = {"finetune": {"long_steps": 5, "mix": "none"}}
    assert finetune_config(cfg, CFG_MIX) == dataclasses.replace(CFG_MIX, long_steps=5)
    assert finetune_config(cfg, CFG_CLS) == dataclasses.replace(CFG_CLS, long_steps=5)
    both = {"finetune": {"mix": "cutmix"}}
    with pytest.raises(AlbumError, match="head.feature_mix.*finetune.mix.*Set one of them off"):
        finetune_config(both, CFG_MIX)
    assert finetune_config(both, CFG_CLS).feature_mix == 0.0  # photo blending alone is fine


def test_checkpoint_for_another_configuration_is_refused():
    x, y = clusters()
    t = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), CFG)
    state = t.state()
    other = HeadTrainer(x, y, np.arange(240), np.arange(240, 300),
                        HeadConfig(**{**CFG.to_dict(), "stages": (12,), "lr": 0.01}))
    with pytest.raises(ValueError):
        other.load_state(state)


def _ddp_rank(rank: int) -> dict:
    x, y = clusters(seed=2)
    # with the classification term: its classifier is used outside DDP's forward
    result = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), CFG_CLS).run()
    return {"head": result.head(12).state(), "P": result.net.merge_matrix()}


@pytest.mark.slow  # two processes importing torch: 10-20 s on the shared CI machine
def test_distributed_two_cpu_processes_with_gloo_stay_in_sync(tmp_path):
    r0, r1 = on_two_ranks(_ddp_rank, tmp_path)
    assert torch.equal(r0["P"], r1["P"])  # same merges on both ranks
    for key in r0["head"]:
        torch.testing.assert_close(r0["head"][key], r1["head"][key], atol=1e-6, rtol=0)
    # and it is not simply the single-process run: ranks drew different batches
    x, y = clusters(seed=2)
    single = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), CFG_CLS).run()
    assert not torch.equal(single.head(12).state()["weight"], r0["head"]["weight"])


def test_config_overrides_and_errors(tmp_path):
    cfg = config_mod.resolve(overrides=["head.lr=0.002", "backbone.name=efficientnet_lite0"],
                             train_bits=[32, 12])
    assert cfg["head"]["lr"] == 0.002 and cfg["train"]["bits"] == [32, 12]
    hc = head_config(cfg)
    assert hc.stages == (64, 48, 32, 24, 12)
    cfg = config_mod.resolve(train_bits=[40])
    assert head_config(cfg).stages == (64, 48, 40)  # the chain is cut at, and reaches, 40
    config_mod.save(cfg, tmp_path / "c.toml")
    assert config_mod.read_saved(tmp_path / "c.toml") == cfg
    with pytest.raises(AlbumError, match="unknown setting head.lrr"):
        config_mod.resolve(overrides=["head.lrr=1"])
    with pytest.raises(AlbumError, match="not shorter than the long code"):
        config_mod.resolve(overrides=["head.long_bits=32"], train_bits=[48])
    assert config_mod.resolve(overrides=["finetune.augment=crop"])["finetune"]["augment"] == "crop"
    assert config_mod.resolve(overrides=["finetune.augment=false"])["finetune"]["augment"] is False
    for wrong in ("1", "blur"):
        with pytest.raises(AlbumError, match='true, false or "crop"'):
            config_mod.resolve(overrides=[f"finetune.augment={wrong}"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[head\n")
    with pytest.raises(AlbumError, match="not valid TOML"):
        config_mod.resolve(bad)


def test_cosine_learning_rate_factor_by_hand():
    from trainer.finetune import cosine_factor

    assert cosine_factor(0, 100) == 1.0
    assert cosine_factor(50, 100) == pytest.approx(0.5)
    assert cosine_factor(25, 100) == pytest.approx(0.5 * (1 + 2 ** -0.5))
    assert cosine_factor(100, 100) == pytest.approx(0.0, abs=1e-12)
    assert cosine_factor(150, 100) == pytest.approx(0.0, abs=1e-12)  # past the plan: stays 0


def test_random_crops_give_every_photo_its_own_view_and_repeat_with_the_seed():
    from trainer.finetune import random_crops

    g = torch.Generator().manual_seed(0)
    one = torch.rand(1, 3, 24, 24, generator=g)
    batch = one.repeat(16, 1, 1, 1)
    out = random_crops(batch, np.random.default_rng(5))
    assert out.shape == batch.shape
    views = {tuple(v.flatten()[:50].round(decimals=4).tolist()) for v in out}
    assert len(views) == 16  # the same photo, 16 different crops
    assert torch.equal(out, random_crops(batch, np.random.default_rng(5)))  # a resume redraws them
    assert not torch.equal(out, random_crops(batch, np.random.default_rng(6)))
    # No crop and no shift: each view is the photo itself or its mirror image, both seen.
    plain = random_crops(batch, np.random.default_rng(1), min_scale=1.0, shift=0.0)
    mirrored = [torch.allclose(v, one[0].flip(2), atol=1e-5) for v in plain]
    same = [torch.allclose(v, one[0], atol=1e-5) for v in plain]
    assert all(m or s for m, s in zip(mirrored, same, strict=True))
    assert any(mirrored) and any(same)


def test_mixup_and_cutmix_blend_each_photo_with_another_and_report_its_share():
    from trainer.finetune import mix_batch

    x = torch.arange(8, dtype=torch.float32).view(8, 1, 1, 1).expand(8, 3, 20, 20).clone()
    out, mix = mix_batch(x, np.random.default_rng(3), "mixup", alpha=1.0)
    assert sorted(mix.perm.tolist()) == list(range(8)) and 0 < mix.lam < 1
    assert torch.allclose(out, mix.lam * x + (1 - mix.lam) * x[mix.perm])
    out, mix = mix_batch(x, np.random.default_rng(4), "cutmix", alpha=1.0)
    for i in range(8):  # a box of the partner's pixels, the rest the photo's own
        own = out[i] == x[i, 0, 0, 0]
        pasted = out[i] == x[mix.perm[i], 0, 0, 0]
        assert bool((own | pasted).all())
        if mix.perm[i] != i:
            assert float(own.float().mean()) == pytest.approx(mix.lam)  # lam = the kept area
    again, mix_again = mix_batch(x, np.random.default_rng(4), "cutmix")
    assert torch.equal(again, out) and mix_again.lam == mix.lam  # a resume blends alike
    same, none = mix_batch(x, np.random.default_rng(4), "none")
    assert same is x and none is None


def test_finetune_with_cutmix_trains_and_its_settings_are_part_of_the_checkpoint_identity():
    from trainer.backbones import build_backbone
    from trainer.config_rules import CHOICES
    from trainer.finetune import MIX_KINDS, FinetuneTrainer, finetune_identity

    assert CHOICES["finetune.mix"] == MIX_KINDS

    images, labels, cfg, spec = tiny_finetune_inputs()

    def make(mix):
        torch.manual_seed(0)
        return FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                               build_backbone(pretrained=False), spec, mix=mix)

    plain, blended = make("none"), make("cutmix")
    losses = [(plain.train_step(), blended.train_step()) for _ in range(2)]
    assert all(np.isfinite(v) for pair in losses for v in pair)
    assert losses[0][0] != losses[0][1]  # same weights and batch: the blend changed the loss
    with pytest.raises(ValueError, match="mix"):
        make("blend")
    ft = config_mod.resolve()["finetune"]
    assert ft["mix"] == "none" and "mix" not in finetune_identity(ft)  # old checkpoints resume
    ft = config_mod.resolve(overrides=["finetune.mix=\"mixup\""])["finetune"]
    assert finetune_identity(ft)["mix"] == "mixup"
    with pytest.raises(AlbumError, match="finetune.mix"):
        config_mod.resolve(overrides=["finetune.mix=\"blend\""])
    with pytest.raises(AlbumError, match="finetune.mix_alpha"):
        config_mod.resolve(overrides=["finetune.mix_alpha=0"])


def test_val_database_is_a_setting_and_sizes_the_validation_database():
    # documented in docs/trainer.md; it was refused as unknown while default.toml lacked it
    assert head_config(config_mod.resolve()).val_database == 2000
    hc = head_config(config_mod.resolve(overrides=["head.val_database=500"]))
    assert hc.val_database == 500
    x, y = clusters()
    small = dataclasses.replace(CFG, val_database=100)
    q, db = HeadTrainer(x, y, np.arange(240), np.arange(240, 300), small)._validation_sets()
    assert len(q) == 60 and len(db) == 100 and set(q) <= set(db)
    with pytest.raises(AlbumError, match="head.val_database = 0"):
        config_mod.resolve(overrides=["head.val_database=0"])


def test_finetune_with_feature_blending_blends_the_backbone_outputs_not_the_photos():
    from trainer.backbones import build_backbone
    from trainer.finetune import FinetuneTrainer

    images, labels, cfg, spec = tiny_finetune_inputs()
    cfg = dataclasses.replace(cfg, cls_weight=1.0, feature_mix=1.0)
    torch.manual_seed(0)
    # ImageNet weights: a random backbone gives nearly one feature vector for every photo
    trainer = FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                              build_backbone(), spec)
    trainer.backbone.eval()  # no dropout: the same photos must give the same features twice
    trainer.augment = False  # nor random flips: the same photos twice
    batch = trainer.batch_indices()
    seen = []
    trainer.backbone.register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0]))
    z, mix = trainer.train_forward(batch)
    assert mix is not None and len(mix.perm) == len(batch)
    assert bool((mix.lam < 1).any())  # share 1: every photo blended, weights from Beta
    assert torch.equal(seen[0], trainer._pixels(batch, train=True))  # the photos stay whole
    with torch.no_grad():
        f = trainer.backbone(seen[0]).float()
        lam = mix.lam[:, None]
        want = trainer.net(lam * f + (1 - lam) * f[mix.perm])
        unblended = trainer.net(f)
    off_blend, off_plain = ((z.detach() - w).abs().max().item() for w in (want, unblended))
    assert off_blend < 1e-6 < 1e-3 * off_plain  # the head saw the blended features
    loss = trainer.train_step()  # and the loss takes the blend's targets
    assert np.isfinite(loss)
    with pytest.raises(ValueError, match="not both"):
        FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                        build_backbone(pretrained=False), spec, mix="mixup")


@pytest.mark.parametrize("mode", ["frozen", "train"])
def test_finetune_batchnorm_statistics_frozen_or_updated(mode):
    from trainer.backbones import build_backbone
    from trainer.finetune import FinetuneTrainer

    images, labels, cfg, spec = tiny_finetune_inputs()
    trainer = FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                              build_backbone(pretrained=False), spec, batchnorm=mode)
    bn = next(m for m in trainer.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d))
    before = bn.running_mean.clone()
    trainer.train_step()
    trainer.train_step()
    assert torch.equal(bn.running_mean, before) == (mode == "frozen")
    with pytest.raises(ValueError, match="batchnorm"):
        FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                        build_backbone(pretrained=False), spec, batchnorm="sync")


@pytest.mark.parametrize("bfloat16", [False, True])
def test_finetune_on_a_cpu_runs_the_network_in_bfloat16_only_when_asked(bfloat16):
    from trainer.backbones import build_backbone
    from trainer.finetune import FinetuneTrainer

    images, labels, cfg, spec = tiny_finetune_inputs()
    torch.manual_seed(0)
    trainer = FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                              build_backbone(pretrained=False), spec, cpu_bfloat16=bfloat16)
    seen = []
    conv = next(m for m in trainer.backbone.modules() if isinstance(m, torch.nn.Conv2d))
    conv.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    losses = [trainer.train_step() for _ in range(2)]
    codes = trainer.outputs(np.arange(30, 40))
    want = torch.bfloat16 if bfloat16 else torch.float32
    assert seen and set(seen) == {want}  # training steps and validation outputs alike
    assert all(np.isfinite(losses)) and codes.dtype == np.float32 and np.isfinite(codes).all()
    assert all(p.dtype == torch.float32 for p in trainer.backbone.parameters())  # kept in fp32


def test_finetune_weight_averaging_validates_and_keeps_the_moving_average():
    from trainer.backbones import build_backbone
    from trainer.finetune import FinetuneTrainer, finetune_identity

    images, labels, cfg, spec = tiny_finetune_inputs()
    decay = 0.5  # large steps of the average, so it is far from the live weights

    def make(ema_decay):
        torch.manual_seed(0)
        return FinetuneTrainer(images, labels, np.arange(30), np.arange(30, 40), cfg,
                               build_backbone(pretrained=False), spec, ema_decay=ema_decay)

    trainer = make(decay)
    params = dict(trainer._averaged_parameters())
    want = None
    for _ in range(3):  # the average, by hand: a_0 = w_1, a_t = d a_(t-1) + (1 - d) w_t
        trainer.train_step()
        live = {k: p.detach().clone() for k, p in params.items()}
        want = live if want is None else {k: decay * want[k] + (1 - decay) * live[k]
                                          for k in live}
    name = "backbone._conv_stem.weight"
    assert name in want and any(k.startswith("net.") for k in want)
    for k in want:
        assert torch.allclose(trainer._ema[k], want[k], atol=1e-6), k
    assert not torch.allclose(want[name], live[name])  # the average is not the last step

    # Validation and the kept best see the average; training goes on with the live weights.
    val = trainer._select(stage=0)
    kept = trainer.best["weights"]
    assert torch.allclose(kept["backbone"][name.removeprefix("backbone.")], want[name])
    for k, p in params.items():
        assert torch.equal(p.detach(), live[k]), k
    with trainer._averaged_weights():
        assert trainer.val_map() == pytest.approx(val)

    # A resumed run goes on with the same average.
    again = make(decay)
    again.load_state(trainer.state())
    assert all(torch.equal(again._ema[k], trainer._ema[k]) for k in trainer._ema)
    trainer.train_step()
    again.train_step()
    assert all(torch.allclose(again._ema[k], trainer._ema[k], atol=1e-6) for k in trainer._ema)

    # Off (the default): no average is kept, and old checkpoints keep resuming.
    plain = make(0.0)
    plain.train_step()
    assert plain._ema == {}
    ft = config_mod.resolve()["finetune"]
    assert ft["ema_decay"] == 0 and "ema_decay" not in finetune_identity(ft)
    ft = config_mod.resolve(overrides=["finetune.ema_decay=0.995"])["finetune"]
    assert finetune_identity(ft)["ema_decay"] == 0.995
    with pytest.raises(ValueError, match="ema_decay"):
        make(1.0)
    with pytest.raises(AlbumError, match="finetune.ema_decay = 1"):
        config_mod.resolve(overrides=["finetune.ema_decay=1"])
