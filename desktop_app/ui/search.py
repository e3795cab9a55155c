"""An immutable search snapshot (codes + paths) that pool threads can search without SQLite."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..core.hashing import HammingIndex
from ..core.records import Match


@dataclass(frozen=True)
class SearchSnapshot:
    index: HammingIndex
    paths: Mapping[int, str] = field(default_factory=dict)
    model_name: str = ""

    @property
    def bits(self) -> int:
        return self.index.bits

    def __len__(self) -> int:
        return len(self.index)

    def similar(self, photo_id: int, k: int = 40, max_distance: int | None = None) -> list[Match]:
        code = self.index.code_of(photo_id)
        if code is None:
            return []
        return self.similar_to_code(code, k, max_distance, exclude=(photo_id,))

    def similar_to_code(self, code: np.ndarray, k: int = 40, max_distance: int | None = None,
                        exclude=()) -> list[Match]:
        hits = self.index.search(code, k=k, max_distance=max_distance, exclude=exclude)
        return [Match(h.photo_id, self.paths.get(h.photo_id, ""), h.distance, self.index.bits)
                for h in hits if h.photo_id in self.paths]


def empty_snapshot(bits: int = 48) -> SearchSnapshot:
    return SearchSnapshot(HammingIndex(np.zeros(0, dtype=np.int64),
                                       np.zeros((0, (bits + 7) // 8), dtype=np.uint8), bits))
