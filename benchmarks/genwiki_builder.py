"""Time and peak memory of building the WikiReversal dataset from a GenWiki-shaped input, at several
sizes, with the paper preset's settings (GenWiki-FULL layout, 16384 BPE tokens), extrapolated to
the real release's 1.3M passages.

    .venv/bin/python benchmarks/genwiki_builder.py --passages 10000 30000 100000

The input: a share ``--kept`` of the records from data/genwiki_sample/make_sample.py's generator
(run again with new seeds; invented names, GenWiki's record format), whose triples mostly survive
the paper's filters, and the rest filler passages of GenWiki's length whose one triple has a
relation of its own (dropped by min_relation_count), in parts of 5000 records. Real GenWiki keeps
about 3% (1.3M passages -> 42,479 triples), hence the default 0.05; ``--kept 1`` is the worst case
for the tokenizer (every passage kept).
Each size runs in a fresh process (``make_dataset`` as the pipeline calls it); its peak resident
memory is that process's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE_PASSAGES = 1_300_000
PART_SIZE = 5000


def load_sample_generator():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "data" / "genwiki_sample" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_records


def filler(k: int) -> dict:
    """A passage the filters drop: its one triple's relation occurs in no other record."""
    page = f"Filler page {k}"
    text = ("<ENT_0> is a place in a region whose history , people and buildings are described in the "
            f"rest of this article , number {k} of many .")
    return {"text": text, "entities": [page], "graph": [[page, f"fillerRelation{k}", "nothing"]],
            "id_long": {"wikipage": page.replace(" ", "_"), "text_paragraph_index": 0, "text_sentence_index_start": 0,
                        "text_sentence_index_end": 1, "graph_set_index": 0},
            "id_short": json.dumps([page.replace(" ", "_"), 0, [0, 0, 1]])}


def write_genwiki(folder: Path, passages: int, kept: float) -> None:
    """``passages`` records in GenWiki's release layout under ``folder``/train/full/part_<k>.json."""
    make_records = load_sample_generator()
    records, seed = [], 0
    while len(records) < round(kept * passages):
        records += make_records(random.Random(10_000 + seed))
        seed += 1
    records = records[: round(kept * passages)]
    records += [filler(k) for k in range(passages - len(records))]
    random.Random(0).shuffle(records)
    out = folder / "train" / "full"
    out.mkdir(parents=True, exist_ok=True)
    for k in range(0, passages, PART_SIZE):
        part = records[k : min(k + PART_SIZE, passages)]
        (out / f"part_{k // PART_SIZE + 1}.json").write_text(json.dumps(part, ensure_ascii=False), encoding="utf-8")


BUILD = """
import json, sys, time
from factorization_curse.data import make_dataset
started = time.perf_counter()
make_dataset("wikireversal", json.loads(sys.argv[1]), 0, sys.argv[2])
print(time.perf_counter() - started)
"""


def build(genwiki: Path, out: Path, bpe: int, min_relation_count: int, split_seeds: str = "same") -> tuple[float, float]:
    """Seconds and peak resident GiB of one dataset build in a fresh process."""
    settings = {"genwiki_dir": str(genwiki), "subset": "full", "min_relation_count": min_relation_count,
                "query_train_fraction": 0.8, "split_seeds": split_seeds, "bpe_vocab_size": bpe}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([sys.executable, "-c", BUILD, json.dumps(settings), str(out)], capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 2**20  # KiB -> GiB
    return float(result.stdout.strip().splitlines()[-1]), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--bpe", type=int, default=16384)
    parser.add_argument("--min-relation-count", type=int, default=None,
                        help="default: the paper's 500 scaled to the input's share of the release's passages")
    parser.add_argument("--kept", type=float, default=0.05, help="share of passages the filters keep")
    parser.add_argument("--keep", type=Path, help="keep the built datasets in this folder (wikireversal and, with "
                        "--both-variants, wikireversal_split-different): e.g. for benchmarks/paper_budget.py "
                        "--data-root; needs one --passages value")
    parser.add_argument("--both-variants", action="store_true", help="also build the split_seeds: different variant")
    args = parser.parse_args()
    if args.keep and len(args.passages) != 1:
        parser.error("--keep needs exactly one --passages value")
    rows = []
    print(f"{'passages':>9} {'write s':>8} {'build s':>8} {'peak GiB':>9} {'ms/passage':>11}", flush=True)
    for n in sorted(args.passages):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_genwiki(Path(tmp) / "genwiki", n, args.kept)
            written = time.perf_counter() - started
            min_count = args.min_relation_count or max(2, round(500 * n / RELEASE_PASSAGES))
            built = args.keep or Path(tmp)
            seconds, peak = build(Path(tmp) / "genwiki", built / "wikireversal", args.bpe, min_count)
            info = json.loads((built / "wikireversal" / "info.json").read_text())
            if args.both_variants:
                other, other_peak = build(Path(tmp) / "genwiki", built / "wikireversal_split-different", args.bpe,
                                          min_count, "different")
                print(f"{n:>9} split_seeds: different: {other:.1f} s, {other_peak:.2f} GiB peak", flush=True)
        rows.append((n, seconds, peak))
        print(f"{n:>9} {written:>8.1f} {seconds:>8.1f} {peak:>9.2f} {1000 * seconds / n:>11.3f}"
              f"   ({info['num_train']} training sequences)", flush=True)
    if len(rows) >= 2:
        (n0, s0, m0), (n1, s1, m1) = rows[-2], rows[-1]
        slope_s, slope_m = (s1 - s0) / (n1 - n0), (m1 - m0) / (n1 - n0)
        print(f"extrapolated to {RELEASE_PASSAGES:,} passages (linear through the two largest sizes): "
              f"{(s1 + slope_s * (RELEASE_PASSAGES - n1)) / 60:.1f} min, "
              f"{m1 + slope_m * (RELEASE_PASSAGES - n1):.2f} GiB peak")


if __name__ == "__main__":
    main()
