"""Store.codes_per_model: the Model tab's "233 of 233 encoded", counted per model on the
indexer thread after the library changed: one scan of an index."""

from __future__ import annotations

from tiny_model import make_tiny_model

from desktop_app.core.encoder import load_encoder


def test_counts_the_photos_each_model_encoded(library, album, tmp_path):
    library.index_folder(str(album))
    store = library.store
    first_model = library.model_id
    assert store.codes_per_model() == {first_model: 5}
    other = load_encoder(make_tiny_model(tmp_path / "m32", bits=32, seed=3), intra_op_threads=1)
    library.activate_model(other)
    assert store.codes_per_model() == {first_model: 5, other.model_id: 5}
    ids = [r[0] for r in store.query("SELECT id FROM photos ORDER BY path")]
    store.execute("DELETE FROM codes WHERE photo_id = ? AND model_id = ?", (ids[0], other.model_id))
    assert store.codes_per_model(ids[:2]) == {first_model: 2, other.model_id: 1}
    assert store.codes_per_model([]) == {}


def test_the_count_reads_an_index_not_the_codes_table(store):
    """200,000 photos and a few models: counted off the codes_by_model index, no sort."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.codes_per_model()
    store.conn.set_trace_callback(None)
    (sql,) = [s for s in statements if not s.startswith("PRAGMA")]  # the lock wait's busy_timeout
    plan = " ".join(row[-1] for row in store.query("EXPLAIN QUERY PLAN " + sql))
    assert plan == "SCAN codes USING COVERING INDEX codes_by_model", plan
