"""The bundled dataset: valid, big enough, reproducible from its generator, disjoint splits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.outage import gen_dataset
from watcloud.outage.evaluate import load_dataset

DATA = Path(__file__).resolve().parents[2] / "src" / "watcloud" / "outage" / "data"


def test_splits_are_valid_disjoint_and_large_enough() -> None:
    dev, test = load_dataset(DATA / "dev.jsonl"), load_dataset(DATA / "test.jsonl")
    assert len(dev) + len(test) >= 150
    assert not {r.id for r in dev} & {r.id for r in test}
    for recs in (dev, test):
        labels = [r.label for r in recs]
        assert all(lab is not None for lab in labels)
        assert any(lab["relevant"] for lab in labels if lab)
        assert any(lab["status"] == "cancelled" for lab in labels if lab and lab["relevant"])


def test_committed_files_are_what_the_generator_writes() -> None:
    import random

    gen_dataset.R = random.Random(20261124)  # the generator's seed, fresh
    rows = gen_dataset.build()
    split: dict[str, list[str]] = {"dev": [], "test": []}
    for rec in rows:
        h = int(hashlib.sha256(str(rec["id"]).encode()).hexdigest(), 16)
        split["test" if h % 2 else "dev"].append(json.dumps(rec, ensure_ascii=False))
    for name, lines in split.items():
        assert (DATA / f"{name}.jsonl").read_text(encoding="utf-8") == "\n".join(lines) + "\n"


def test_every_guide_category_is_covered() -> None:
    text = (DATA / "dev.jsonl").read_text() + (DATA / "test.jsonl").read_text()
    for word in (
        "Power Door",
        "Building Access",
        "compactor",
        "Electrical",
        "Fire Alarm",
        "Sprinkler",
        "Fume",
        "Liebert",
        "Heating",
        "Cooling",
        "Water",
        "Steam",
        "Natural Gas",
        "Compressed Air",
        "Pool",
        "Parking",
        "Elevator",
        "Network",
    ):
        assert word.lower() in text.lower(), word
