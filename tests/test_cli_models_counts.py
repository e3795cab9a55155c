"""`lookalike models list` and the Model tab count a model's encoded photos the same way: an
unreadable photo keeps its codes (its content may be read again) but is not searched, and the
tab left it out ("2 of 2 photos encoded") where `models list` counted it ("3 photos encoded")."""

from __future__ import annotations

import json

from cli_run import run
from photos import make_photo
from tiny_model import make_tiny_model

from desktop_app import cli, paths
from desktop_app.core.encoder import open_model_folder
from desktop_app.core.model_registry import encoded_counts, readable_photos
from desktop_app.core.store import Store
from desktop_app.ui.workers import IndexerWorker


def test_models_list_counts_as_the_model_tab_with_an_unreadable_photo(qtbot, capsys, tmp_path,
                                                                     tiny_model_dir):
    folder = tmp_path / "photos"
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(folder / f"p{i}.jpg", name, size=(96 + 8 * i, 64))
    worker = IndexerWorker(str(tiny_model_dir), str(paths.database_path()))
    worker.count_cost_factor = 0  # each change counted at once
    tab: list[tuple] = []
    worker.encoded_counts.connect(lambda encoded, readable: tab.append((encoded, readable)))
    worker.open()
    worker.index_folder(str(folder))
    # A photo that cannot be read now (locked, its drive failing) keeps its codes.
    photo = worker._store.query("SELECT id FROM photos ORDER BY path LIMIT 1")[0][0]
    worker._store.execute("UPDATE photos SET status = 'failed', error = 'locked' WHERE id = ?",
                          (photo,))
    worker._publish(force=True)
    worker.close()
    model_id = open_model_folder(tiny_model_dir).card.model_id
    assert tab[-1] == ({model_id: 2}, 2)  # the Model tab: "2 of 2 encoded"
    with Store(readonly=True) as store:
        assert store.models()[0]["codes"] == 3  # every code is kept
        assert (encoded_counts(store), readable_photos(store)) == tab[-1]
        assert encoded_counts(store, [photo]) == {model_id: 2}
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == cli.EXIT_OK, err
    listed = json.loads(out)
    assert [m["codes"] for m in listed["models"]] == [2] and listed["photos"] == 2
    code, out, err = run(capsys, "models", "list")
    assert code == cli.EXIT_OK and " 2 of 2 photos encoded " in out, out


def test_a_replaced_models_codes_are_counted_as_the_others(capsys, tmp_path, tiny_model_dir):
    """`models list --json` lists a model whose folder another model was exported into since
    under "replaced", "as in models": its "codes" still counted the unreadable photos' codes."""
    folder = tmp_path / "photos"
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        make_photo(folder / f"p{i}.jpg", name, size=(96 + 8 * i, 64))
    assert run(capsys, "--model", tiny_model_dir, "index", folder)[0] == cli.EXIT_OK
    mine = make_tiny_model(paths.models_dir() / "albums-32bit", bits=32, seed=4,
                           name="albums-32bit")
    code, out, err = run(capsys, "models", "activate", "albums-32bit", "--json")
    assert code == cli.EXIT_OK, err
    with Store() as store:
        store.execute("UPDATE photos SET status = 'failed', error = 'locked' WHERE id = "
                      "(SELECT MIN(id) FROM photos)")
    make_tiny_model(mine, bits=32, seed=5, name="albums-32bit")  # exported over it
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == cli.EXIT_OK, err
    listed = json.loads(out)
    assert listed["photos"] == 2 and [m["codes"] for m in listed["models"]] == [2]
    assert [m["codes"] for m in listed["replaced"]] == [2]
