"""What `run` tells a person at its end: where the model is, its held-out mAP against what
random codes would score with these albums, and how to use it in the app."""

from __future__ import annotations

import itertools
import json
import shlex

import numpy as np
import pytest
from fast_settings import FAST

from trainer.cli import main
from trainer.closing import quality_words
from trainer.metrics import mean_average_precision, random_ranking_map


@pytest.mark.parametrize("n,relevant", [(5, 1), (5, 2), (6, 3), (4, 4)])
def test_the_random_codes_floor_is_the_mean_ap_over_every_ranking(n, relevant):
    db_labels = np.array([1] * relevant + [0] * (n - relevant))
    aps = []
    for order in itertools.permutations(range(n)):  # every ranking equally likely
        codes = np.zeros((n, n), bool)
        for rank, item in enumerate(order):  # item at `rank` is `rank` bits from the query
            codes[item, :rank] = True
        aps.append(mean_average_precision(np.zeros((1, n), bool), np.array([1]), codes,
                                          db_labels))
    assert random_ranking_map(np.array([1]), db_labels) == pytest.approx(np.mean(aps))


def test_two_albums_of_one_size_are_not_said_to_hold_most_photos_in_one():
    """Random codes score above 0.5 with two albums of the same size (a photo's album is half
    of the others, and the first right photo comes early): that is no album holding most."""
    query, database = np.repeat([0, 1], 10), np.repeat([0, 1], 90)
    floor = random_ranking_map(query, database)
    assert floor > 0.5
    words = quality_words({"map_all_tie_aware": 0.9, "map_all_random": floor, "queries": 20,
                           "database": 180})
    assert "most photos are in one album" not in words
    assert f"random codes would score about {floor:.2f} with these albums (with few albums" in words


def test_run_ends_saying_where_the_model_is_how_good_and_how_to_use_it(albums, tmp_path,
                                                                       capsys):
    out = tmp_path / "my models" / "holiday"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", *FAST]) == 0
    err = capsys.readouterr().err
    card = json.loads((out / "model.json").read_text())
    evaluation = card["evaluation"]
    manifest = json.loads((out / "training" / "manifest.json").read_text())
    labels = np.zeros((len(manifest["photos"]), len(manifest["labels"])))
    for i, photo in enumerate(manifest["photos"]):
        labels[i, photo["labels"]] = 1
    query = np.array([p["split"] == "query" for p in manifest["photos"]])
    assert evaluation["map_all_random"] == pytest.approx(
        random_ranking_map(labels[query], labels[~query]), abs=1e-4)
    assert f"The 12-bit model '{card['name']}' is in {out}." in err
    assert (f"Search quality on {evaluation['queries']} photos kept out of training, each "
            f"searched for among {evaluation['database']} others: "
            f"mAP {evaluation['map_all_tie_aware']:.3f}, where 1 means") in err
    assert f"random codes would score about {evaluation['map_all_random']:.2f}" in err
    assert f"lookalike models activate {shlex.quote(str(out))}," in err
    assert "Model tab > Import model folder" in err
