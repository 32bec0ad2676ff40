"""The paper reference, the paper-vs-measured join and its verdicts, Table 4, the paper's tables
and the reproduction report, on hand-made numbers."""
import copy
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from factorization_curse.analysis import comparisons, paper, paper_tables, report, runs, table4, tables
from factorization_curse.analysis.curves import curve_observations, dominance
from factorization_curse.analysis.paired import COLUMNS as COLUMNS_PAIRED

ROOT = Path(__file__).resolve().parents[1]

# A small reference with the shipped file's structure: one entry that runs, one that does not.
REFERENCE = {
    "paper": {"title": "T", "authors": "A", "venue": "V", "arxiv": "0"},
    "objectives": {"ar": "AR", "mlm-u": "MLM-U", "plm": "PLM", "big-llm": "Big LLM"},
    "results": {
        "toy": {
            "task": "toy", "source": "Table 1", "setting": "toy setting",
            "exact_match": {"ar": {"forward": 100, "backward": 0}, "mlm-u": {"forward": 100, "backward": 90},
                            "big-llm": {"forward": 50, "backward": 5}},
            "incorrect_inference": {"ar": {"both": 30}},
        },
        "wiki": {"task": "wiki", "source": "Table 3", "setting": "wiki setting",
                 "exact_match": {"ar": {"forward": 14, "backward": 4.3}}},
    },
    "tables": {
        "table1": {"caption": "Toy (%).", "blocks": [{"results": "toy", "metric": "exact_match"},
                                                     {"results": "wiki", "metric": "exact_match"}]},
    },
    "table4": {"mlm-u": {"toy": "✓/✓", "wiki": "~/~"}, "ar": {"toy": "✓/✗"}},
    "figures": {"figure7": "backward rises late"},
}


def cell(objective, direction, mean, low, high, metric="exact_match", task="toy", seeds=2, facts=100, **extra):
    """One row of an intervals table (tables/<task>_intervals.csv)."""
    return {"task": task, **extra, "objective": objective, "direction": direction, "metric": metric, "mean": mean,
            "low": low, "high": high, "width": high - low, "seeds": seeds, "facts": facts, "questions": facts}


def toy_intervals():
    """Against REFERENCE's toy entry: ar consistent both ways, mlm-u forward inconsistent (100 above
    [84, 95]), mlm-u backward underpowered (35 points wide), incorrect inference consistent."""
    rows = [cell("ar", "forward", 100, 100, 100), cell("ar", "backward", 0, 0, 0),
            cell("mlm-u", "forward", 90, 84, 95), cell("mlm-u", "backward", 80, 60, 95),
            cell("plm", "forward", 100, 100, 100), cell("plm", "backward", 100, 100, 100),
            cell("ar", "forward", 15, 5, 25, metric="incorrect_inference"),
            cell("ar", "backward", 35, 22, 48, metric="incorrect_inference"),
            cell("ar", "both", 25, 15, 40, metric="incorrect_inference"),
            cell("ar", "forward−backward", 100, 100, 100)]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the reference file


def test_shipped_reference_is_valid_and_holds_the_papers_numbers():
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    cells = paper.paper_cells(ref).set_index(["results", "metric", "objective", "direction"])["paper"]
    assert cells["retrieval", "exact_match", "mlm-15", "backward"] == 22
    assert cells["relationship", "incorrect_inference", "ar-rev-ent-nodelim", "both"] == 44
    assert cells["bios", "exact_match", "mlm-u", "backward"] == 68
    assert cells["stargraph", "exact_match", "ar-rev", "forward"] == 49
    assert cells["wikireversal_split-different", "exact_match", "mlm-u", "backward"] == 46
    # both WikiReversal entries read tables/wikireversal.csv, each its own split variant's rows
    assert ref["results"]["wikireversal"]["where"] == {"split_seeds": "same"}
    assert ref["results"]["wikireversal_split-different"] == {**ref["results"]["wikireversal_split-different"],
                                                              "task": "wikireversal", "where": {"split_seeds": "different"}}
    assert paper.table_tasks(ref, "table8") == ["wikireversal"]
    assert set(ref["tables"]) == {"table1", "table2", "table3", "table5", "table6", "table7", "table8"}
    # nothing the notes do not give: no AR row on the relationship task, no per-token numbers
    assert ("relationship", "exact_match", "ar", "forward") not in cells.index
    assert "token_accuracy" not in set(paper.paper_cells(ref).metric)


@pytest.mark.parametrize("edit,message", [
    (lambda r: r["results"]["toy"]["exact_match"]["ar"].update(forward=150), "not a percentage"),
    (lambda r: r["results"]["toy"]["exact_match"].update({"gpt-9": {"forward": 1}}), "gpt-9.*not listed"),
    (lambda r: r["results"]["toy"]["exact_match"]["ar"].update(sideways=1), "direction 'sideways'"),
    (lambda r: r["tables"]["table1"]["blocks"].append({"results": "nope", "metric": "exact_match"}), "unknown results entry 'nope'"),
    (lambda r: r["table4"]["ar"].update(toy="yes/no"), "symbols"),
    (lambda r: r["results"]["wiki"].update(where="split_seeds=same"), r"results.wiki.where: expected \{column: value\}"),
])
def test_reference_check_names_the_bad_key(edit, message):
    ref = copy.deepcopy(REFERENCE)
    edit(ref)
    with pytest.raises(paper.PaperReferenceError, match=message):
        paper.check_reference(ref)


# ----------------------------------------------------------------------------- measured cells and the join


def test_measured_cells_are_the_intervals_tables_cells():
    cells = comparisons.measured_cells(toy_intervals()).set_index(["metric", "objective", "direction"])
    assert list(cells.columns) == comparisons.MEASURED_COLUMNS[3:]
    assert cells.loc[("exact_match", "mlm-u", "forward"), ["mean", "low", "high", "seeds"]].tolist() == [90, 84, 95, 2]
    assert cells.loc[("incorrect_inference", "ar", "both"), "mean"] == 25
    assert comparisons.measured_cells(None).empty


def test_measured_cells_of_a_real_intervals_table():
    """From per-question rows through tables.interval_table: the columns the join needs, the pooled
    direction and the gap."""
    rows = [{"task": "toy", "dataset": "toy", "objective": "ar", "seed": seed, "direction": d, "question": 2 * f + k,
             "fact": f, "exact_match": float(d == "forward" or f < 10)}
            for seed in (0, 1) for f in range(40) for k, d in enumerate(("forward", "backward"))]
    cells = comparisons.measured_cells(tables.interval_table(pd.DataFrame(rows), resamples=500))
    cells = cells.set_index(["objective", "direction"])
    assert cells.loc[("ar", "forward"), ["mean", "low", "high"]].tolist() == [100, 100, 100]
    assert cells.loc[("ar", "backward"), "mean"] == 25 and cells.loc[("ar", "backward"), "low"] < 25 < cells.loc[("ar", "backward"), "high"]
    assert cells.loc[("ar", "both"), "mean"] == 62.5 and cells.loc[("ar", "forward−backward"), "mean"] == 75
    assert cells.loc[("ar", "backward"), ["seeds", "facts", "questions"]].tolist() == [2, 40, 40]


def test_join_a_missing_measurement_reads_not_run_never_a_number():
    cells = paper.paper_cells(REFERENCE)
    measured = comparisons.measured_cells(toy_intervals())
    joined = comparisons.compare(cells[cells.results == "toy"], measured, max_width=30)
    row = joined[(joined.objective == "big-llm") & (joined.direction == "backward")].iloc[0]
    assert row.verdict == "not run" and math.isnan(row.measured) and math.isnan(row.difference)
    shown = comparisons.comparison_strings(joined)
    missing = shown[(shown.objective == "big-llm")]
    assert list(missing["measured [95% interval]"]) == ["not run", "not run"] and list(missing.difference) == ["", ""]
    assert not any(re.search(r"\d", m) for m in missing["measured [95% interval]"])
    # a task that did not run at all: every cell not run
    not_run = comparisons.compare(cells[cells.results == "wiki"], None, max_width=30)
    assert set(not_run.verdict) == {"not run"} and not_run.measured.isna().all()
    assert set(comparisons.comparison_strings(not_run)["measured [95% interval]"]) == {"not run"}


def test_join_verdicts_from_the_intervals():
    cells = paper.paper_cells(REFERENCE)
    joined = comparisons.compare(cells[cells.results == "toy"], comparisons.measured_cells(toy_intervals()), max_width=30,
                                 objective_order=list(REFERENCE["objectives"]))
    v = joined.set_index(["metric", "objective", "direction"])
    assert v.loc[("exact_match", "ar", "forward"), "verdict"] == "consistent"  # 100 in [100, 100]
    assert v.loc[("exact_match", "ar", "backward"), "verdict"] == "consistent"  # 0 in [0, 0]
    assert v.loc[("exact_match", "mlm-u", "forward"), "verdict"] == "inconsistent"  # 100 above [84, 95]
    assert v.loc[("exact_match", "mlm-u", "backward"), "verdict"] == "underpowered"  # 35 points wide
    assert v.loc[("exact_match", "mlm-u", "backward"), "facts_needed"] == math.ceil(100 * (35 / 30) ** 2)
    assert pd.isna(v.loc[("exact_match", "mlm-u", "forward"), "facts_needed"])
    assert v.loc[("exact_match", "mlm-u", "backward"), "difference"] == pytest.approx(-10)
    assert v.loc[("incorrect_inference", "ar", "both"), "verdict"] == "consistent"  # 30 in [15, 40]
    # measured, but the paper gives no number: shown, never judged
    assert v.loc[("exact_match", "plm", "forward"), "verdict"] == "no paper number"
    # the per-direction incorrect inference and the gap are not paper cells: not in the join
    assert ("incorrect_inference", "ar", "forward") not in v.index and ("exact_match", "ar", "forward−backward") not in v.index
    # order: the paper's metrics, then the objective order, forward before backward
    assert list(joined.objective[:4]) == ["ar", "ar", "mlm-u", "mlm-u"] and list(joined.direction[:2]) == ["forward", "backward"]
    # a wider allowance: the 35-point interval is judged, and 90 lies inside it
    lenient = comparisons.compare(cells[cells.results == "toy"], comparisons.measured_cells(toy_intervals()), max_width=40)
    assert lenient.set_index(["metric", "objective", "direction"]).loc[("exact_match", "mlm-u", "backward"), "verdict"] == "consistent"
    shown = comparisons.comparison_strings(joined).set_index(["objective", "direction"])
    assert shown.loc[("mlm-u", "forward"), "measured [95% interval]"] == "90.0 [84.0, 95.0]"
    assert shown.loc[("mlm-u", "backward"), "difference"] == "-10.0"
    assert shown.loc[("mlm-u", "backward"), "verdict"] == "underpowered (≈137 facts needed, 100 here)"


# ----------------------------------------------------------------------------- Table 4


@pytest.mark.parametrize("accuracy,chance,expected", [
    (100, None, "✓"), (80, None, "✓"), (79.9, None, "~"), (50, None, "~"), (20, None, "~"), (19.9, None, "✗"),
    (0, None, "✗"), (None, None, None), (float("nan"), None, None),
    # above chance: (acc - 50) / 50
    (54, 50, "✗"), (75, 50, "~"), (90, 50, "✓"), (50, 50, "✗"), (98, 50, "✓"),
])
def test_table4_classifier_on_hand_made_numbers(accuracy, chance, expected):
    assert table4.classify(accuracy, success=80, failure=20, chance=chance) == expected


def test_table4_classifier_rejects_crossed_thresholds():
    with pytest.raises(ValueError, match="failure <= success"):
        table4.classify(50, success=20, failure=80)


def test_table4_symbols_their_intervals_and_the_verdicts():
    star = pd.DataFrame([cell("ar", "forward", 54, 50, 58, task="star"), cell("mlm-u", "forward", 98, 96, 100, task="star")])
    measured = {"toy": comparisons.measured_cells(toy_intervals()), "star": comparisons.measured_cells(star)}
    t4 = table4.table4(measured, success=80, failure=20, chance={"star": 50.0}).set_index(["objective", "results"])
    assert t4.loc[("ar", "toy"), ["measured", "spans"]].tolist() == ["✓/✗", "✓/✗"]
    assert t4.loc[("mlm-u", "toy"), ["measured", "spans"]].tolist() == ["✓/✓", "✓/~✓"]  # 90 [84, 95] / 80 [60, 95]
    assert t4.loc[("mlm-u", "toy"), "width"] == 35
    assert t4.loc[("ar", "star"), "measured"] == "✗" and t4.loc[("mlm-u", "star"), "spans"] == "✓"
    compared = table4.compare_table4(t4.reset_index(), paper.table4_symbols(REFERENCE), max_width=30)
    compared = compared.set_index(["objective", "results"])
    assert compared.loc[("ar", "toy"), "verdict"] == "consistent"
    assert compared.loc[("mlm-u", "toy"), "verdict"] == "underpowered"  # its backward interval is 35 wide
    assert compared.loc[("mlm-u", "wiki"), "verdict"] == "not run" and compared.loc[("mlm-u", "wiki"), "measured"] == "not run"
    assert compared.loc[("plm", "toy"), "verdict"] == "no paper number"
    lenient = table4.compare_table4(t4.reset_index(), paper.table4_symbols(REFERENCE), max_width=40)
    assert lenient.set_index(["objective", "results"]).loc[("mlm-u", "toy"), "verdict"] == "consistent"
    stricter = table4.compare_table4(table4.table4(measured, success=96, failure=20), paper.table4_symbols(REFERENCE), 40)
    # 90 [84, 95] at success 96 spans only ~: the paper's ✓ is outside
    assert stricter.set_index(["objective", "results"]).loc[("mlm-u", "toy"), "verdict"] == "inconsistent"


def test_spanned_symbols():
    assert table4.spanned("✗", "✓") == "✗~✓" and table4.spanned("~", "~") == "~"


# ----------------------------------------------------------------------------- the paper's tables


def test_paper_table_markdown_and_latex(tmp_path):
    csv = tmp_path / "toy_intervals.csv"
    toy_intervals().to_csv(csv, index=False)
    blocks = paper_tables.write_paper_table(REFERENCE, "table1", [csv], tmp_path / "t1.md", tmp_path / "t1.tex", "tiny", [0, 1])
    toy, wiki = blocks[0][1], blocks[1][1]
    assert list(toy.index) == ["forward", "forward (paper)", "backward", "backward (paper)", "forward−backward"]
    assert toy.loc["forward−backward", "ar"] == "100.0 [100.0, 100.0]" and toy.loc["forward−backward", "mlm-u"] == "not run"
    assert toy.loc["backward", "mlm-u"] == "80.0 [60.0, 95.0]" and toy.loc["backward (paper)", "mlm-u"] == "90"
    assert toy.loc["forward", "big-llm"] == "not run" and toy.loc["forward (paper)", "plm"] == "–"
    assert set(wiki.loc["forward"]) == {"not run"} and wiki.loc["backward (paper)", "ar"] == "4.3"
    markdown = (tmp_path / "t1.md").read_text()
    assert "# Table 1: Toy (%)." in markdown
    assert "| backward | 0.0 [0.0, 0.0] | 80.0 [60.0, 95.0] | 100.0 [100.0, 100.0] | not run |" in markdown
    latex = (tmp_path / "t1.tex").read_text()
    for piece in [r"\toprule", r"\midrule", r"\bottomrule", r"80.0 [60.0, 95.0]", r"Toy (\%).", r"\label{tab:table1}",
                  r"[95\% interval]"]:
        assert piece in latex
    assert "–" not in latex  # all as LaTeX


def wiki_intervals():
    """WikiReversal's intervals table: both split variants, told apart by the column split_seeds."""
    rows = []
    for split, numbers in [("same", {"ar": (14, 4), "mlm-u": (10, 8)}), ("different", {"ar": (30, 6), "mlm-u": (60, 40)})]:
        rows += [cell(o, d, v, max(v - 10, 0), v + 10, task="wikireversal", seeds=1, split_seeds=split)
                 for o, values in numbers.items() for d, v in zip(("forward", "backward"), values)]
    return pd.DataFrame(rows)


def test_entries_read_their_split_variant_of_the_task_table():
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    tables = comparisons.entry_tables(ref, {"wikireversal": wiki_intervals(), "toy": toy_intervals()})
    assert set(tables) == {"wikireversal", "wikireversal_split-different", "toy"}  # toy: no entry reads it, kept
    assert set(tables["wikireversal"].split_seeds) == {"same"} and len(tables["wikireversal"]) == 4
    assert tables["wikireversal_split-different"]["mean"].tolist() == [30, 6, 60, 40]
    assert comparisons.entry_task(ref, "wikireversal_split-different") == "wikireversal" and comparisons.entry_task(ref, "toy") == "toy"
    # a variant that did not run: its entry is absent (not run), the other one stays
    same_only = comparisons.entry_tables(ref, {"wikireversal": wiki_intervals().query("split_seeds == 'same'")})
    assert set(same_only) == {"wikireversal"}
    # a table without the column cannot tell the variants apart: neither entry reads it
    assert comparisons.entry_tables(ref, {"wikireversal": wiki_intervals().drop(columns="split_seeds")}) == {}


def test_table8_from_the_intervals_table_with_both_split_variants(tmp_path):
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    csv = tmp_path / "wikireversal_intervals.csv"
    wiki_intervals().to_csv(csv, index=False)
    blocks = paper_tables.write_paper_table(ref, "table8", [csv], tmp_path / "t8.md", tmp_path / "t8.tex", "tiny", [0])
    (same_title, same), (different_title, different) = blocks
    assert same_title.startswith("wikireversal, Table 3, Table 8 (left)")
    assert different_title.startswith("wikireversal_split-different, Table 8 (right)")
    assert list(same.columns) == list(different.columns) == ["ar", "mlm-15", "mlm-u", "mistral-7b-lora"]
    assert same.loc["backward", "mlm-u"] == "8.0 [0.0, 18.0]" and same.loc["backward (paper)", "mlm-u"] == "7.6"
    assert different.loc["forward", "mlm-u"] == "60.0 [50.0, 70.0]" and different.loc["forward (paper)", "mlm-u"] == "66"
    assert different.loc["forward", "mlm-15"] == "not run" and different.loc["backward (paper)", "mistral-7b-lora"] == "9"
    markdown = (tmp_path / "t8.md").read_text()
    assert markdown.startswith("# Table 8:") and "| forward | 30.0 [20.0, 40.0] | not run | 60.0 [50.0, 70.0] | not run |" in markdown


def test_table4_files(tmp_path):
    csv = tmp_path / "toy_intervals.csv"
    toy_intervals().to_csv(csv, index=False)
    table4.write_table4(REFERENCE, [csv], {}, 80, 20, tmp_path / "t4.md", tmp_path / "t4.tex", "tiny", [0, 1])
    markdown = (tmp_path / "t4.md").read_text()
    assert "| mlm-u | ✓/✓ [✓/~✓] (paper ✓/✓) | not run (paper ~/~) |" in markdown
    assert r"\checkmark/$\times$ (paper \checkmark/$\times$)" in (tmp_path / "t4.tex").read_text()


# ----------------------------------------------------------------------------- the report

SETTINGS = {"max_interval_width": 30, "table4": {"success": 80, "failure": 20}, "reference_objective": "mlm-u"}


def write_run(tmp_path, task, objective, seed, metrics_rows, with_benchmarks=True):
    run = tmp_path / "runs" / task / objective / f"seed{seed}"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({
        "train_config": {"steps": 40}, "parameters": 1234, "model_config": {"architecture": "decoder"},
        "device": "cpu", "host": "box", "threads": 2, "torch": "2", "git_commit": "abcdef0123456789",
        "train_seconds_this_session": 12.5}))
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in metrics_rows) + "\n")
    out = {"task": task, "objective": objective, "seed": seed, "run_info": str(run / "run.json"),
           "metrics": str(run / "metrics.jsonl"), "train_benchmark": None, "eval_benchmark": None}
    if with_benchmarks:
        bench = tmp_path / "bench" / f"{task}_{objective}_{seed}.tsv"
        bench.parent.mkdir(exist_ok=True)
        bench.write_text("s\th:m:s\tmax_rss\tcpu_time\n14.2\t0:00:14\t480.5\t13.1\n")
        out.update(train_benchmark=str(bench), eval_benchmark=str(bench))
    return out


def test_write_report(tmp_path):
    toy_intervals().to_csv(tmp_path / "toy_intervals.csv", index=False)
    paired = pd.DataFrame([
        ["toy", "toy", "objective vs reference", "ar", "mlm-u", "backward", "exact_match", -80, -90, -70, 2, 100, 0, 100,
         0, 80, 1e-24, True],
        ["toy", "toy", "forward vs backward", "ar", "ar", "forward−backward", "exact_match", 100, 100, 100, 2, 100, 0, 100,
         100, 0, 1e-30, True]], columns=COLUMNS_PAIRED)
    paired.to_csv(tmp_path / "comparisons.csv", index=False)
    curve = [{"step": 10, "forward_exact_match": 50.0, "backward_exact_match": 0.0},
             {"step": 20, "forward_exact_match": 100.0, "backward_exact_match": 40.0},
             {"step": 40, "forward_exact_match": 100.0, "backward_exact_match": 80.0}]
    runs = [write_run(tmp_path, "toy", o, s, curve, with_benchmarks=(o != "plm")) for o in ("ar", "mlm-u", "plm") for s in (0, 1)]
    figures = [{"id": "figure7", "kind": "delayed_generalisation", "path": "figures/figure7.pdf", "caption": "Curves.",
                "tasks": ["toy"], "objectives": ["mlm-u"], "observe": "delay"}]
    text = report.write_report(tmp_path / "report.md", report.ReportInputs(
        reference=REFERENCE, preset="tiny", seeds=[0, 1],
        task_objectives={"toy": ["ar", "mlm-u", "plm"]}, intervals={"toy": tmp_path / "toy_intervals.csv"},
        data_info={"toy": {"config": {"size": 3}}}, runs=runs, settings=SETTINGS,
        figures=figures, paper_tables=["tables/paper/table1.md"], implemented_tasks=["toy"],
        defined_objectives=["ar", "mlm-u", "plm"], comparisons=tmp_path / "comparisons.csv"))
    assert (tmp_path / "report.md").read_text() == text
    assert ("Preset **tiny**; training seeds 0, 1 (every cell a mean over seeds and test questions with its 95% "
            "interval); 6 training runs.") in text
    assert "`wiki` (Table 3; wiki setting): not run: the task is not implemented in this pipeline." in text
    assert "Big LLM (`big-llm`): not implemented in this pipeline." in text
    assert "wider than **30 points** (`report.max_interval_width`)" in text
    assert "| exact match | mlm-u | forward | 90.0 [84.0, 95.0] | 2 | 100 | -10.0 | inconsistent |" in text
    assert "| exact match | mlm-u | backward | 80.0 [60.0, 95.0] | 2 | 90 | -10.0 | underpowered (≈137 facts needed, 100 here) |" in text
    assert "| exact match | big-llm | forward | not run |  | 50 |  | not run |" in text
    assert "| exact match | ar | backward | not run |  | 4.3 |  | not run |" in text
    assert "All cells: consistent 3, inconsistent 1, underpowered 1, no paper number 2, not run 4." in text
    assert "| mlm-u | ✓/✓ [✓/~✓] (paper ✓/✓) | not run (paper ~/~) |" in text
    assert "Underpowered: mlm-u on toy (✓/✓ here, interval spans ✓/~✓; ✓/✓ in the paper)." in text
    # the paired comparisons
    assert "Of 1 objective-vs-`mlm-u` differences, 0 are above 0 and 1 below" in text
    assert "| ar − mlm-u | backward | -80.0 [-90.0, -70.0] | 2 | 1e-24 (seed 0, 100, 0/80) | **differs** |" in text
    assert "### toy" in text and "| ar: forward − backward |" in text
    assert "- **figure7** [figures/figure7.pdf](figures/figure7.pdf): Curves." in text
    assert "  - Paper: backward rises late" in text
    assert "toy, mlm-u, backward: 80.0% at step 40 (90% of that first reached at step 40; +40.0 points" in text
    assert "| toy | ar | 0 | 40 | 1,234 | cpu | – | box | 2 | 1 | 14 | 12.5 | 13 | 480 | 14 |" in text
    assert "| toy | plm | 1 | 40 | 1,234 | cpu | – | box | 2 | 1 | – | 12.5 | – | – | – |" in text
    assert "mixes kinds of run" not in text
    assert "on box (cpu, 2 threads per job)" in text and "abcdef012345" in text
    assert "[table1.md](tables/paper/table1.md)" in text


def test_learning_curve_observations():
    rows = []
    for seed, shift in ((0, 0.0), (1, 10.0)):
        for step, fwd, bwd, low in ((100, 50, 0, 10), (200, 100, 20, 30), (300, 100, 60, 20), (400, 100, 80, 90)):
            rows += [["toy", "mlm-u", seed, step, "forward", "exact_match", fwd],
                     ["toy", "mlm-u", seed, step, "backward", "exact_match", bwd + shift],
                     ["toy", "mlm-15", seed, step, "backward", "exact_match", low]]
    curves = pd.DataFrame(rows, columns=["task", "objective", "seed", "step", "direction", "metric", "value"])
    seen = curve_observations(curves).set_index(["objective", "direction"])
    assert list(seen.index) == [("mlm-u", "forward"), ("mlm-u", "backward"), ("mlm-15", "backward")]
    assert seen.loc[("mlm-u", "forward"), "step_90"] == 200 and seen.loc[("mlm-u", "forward"), "gain_last_quarter"] == 0
    # backward, mean over seeds: 5, 25, 65, 85 -> 90% of 85 first at step 400; +20 since step 300
    assert seen.loc[("mlm-u", "backward"), "final"] == 85 and seen.loc[("mlm-u", "backward"), "step_90"] == 400
    assert seen.loc[("mlm-u", "backward"), "gain_last_quarter"] == 20
    lead = dominance(curves, "mlm-u", ["mlm-15", "plm"]).set_index(["other", "direction"])
    assert list(lead.index) == [("mlm-15", "backward")]  # no plm curves, mlm-15 only backward
    assert lead.loc[("mlm-15", "backward"), "evaluations"] == 4 and lead.loc[("mlm-15", "backward"), "leader_at_least"] == 1  # only at step 300 (65 vs 20)


def test_report_on_both_split_variants(tmp_path):
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    wiki_intervals().to_csv(tmp_path / "wikireversal_intervals.csv", index=False)
    curve = [{"step": 10, "forward_exact_match": 5.0, "backward_exact_match": 0.0}]
    runs = [{**write_run(tmp_path, dataset, o, 0, curve), "task": "wikireversal", "dataset": dataset}
            for dataset in ("wikireversal", "wikireversal_split-different") for o in ("ar", "mlm-u")]
    figures = [{"id": "figure7", "kind": "delayed_generalisation", "path": "figures/figure7.pdf", "caption": "Curves.",
                "tasks": ["wikireversal"], "objectives": ["mlm-u"], "observe": "delay"}]
    text = report.write_report(tmp_path / "report.md", report.ReportInputs(
        reference=ref, preset="tiny", seeds=[0],
        task_objectives={"wikireversal": ["ar", "mlm-u"]}, intervals={"wikireversal": tmp_path / "wikireversal_intervals.csv"},
        data_info={"wikireversal": {"config": {"split_seeds": "same", "min_relation_count": 20}}}, runs=runs,
        settings=SETTINGS, figures=figures, paper_tables=[], implemented_tasks=["wikireversal"],
        defined_objectives=["ar", "mlm-15", "mlm-u"]))
    assert "4 training runs" in text and "- `wikireversal`: ar, mlm-u; also on its variant(s) `wikireversal_split-different`" in text
    same = text.split("### wikireversal: Table 3, Table 8 (left)")[1].split("###")[0]
    different = text.split("### wikireversal_split-different: Table 8 (right)")[1].split("###")[0]
    assert '`{"split_seeds": "same", "min_relation_count": 20}`' in same
    assert '`{"split_seeds": "different", "min_relation_count": 20}`' in different  # the variant's setting
    assert "[tables/wikireversal.md](tables/wikireversal.md)" in different
    assert "| exact match | mlm-u | forward | 10.0 [0.0, 20.0] | 1 | 11 | -1.0 | consistent |" in same
    assert "| exact match | mlm-u | forward | 60.0 [50.0, 70.0] | 1 | 66 | -6.0 | consistent |" in different
    assert "Paired comparisons" not in text  # no comparisons file given
    for section in (same, different):
        assert "- Exact match here: Answers compared as text, ignoring case and surrounding whitespace and punctuation" in section
    # the runs table names each run's dataset; Figure 7 reads the task's own runs only
    assert "| wikireversal_split-different | mlm-u | 0 |" in text and "| wikireversal | ar | 0 |" in text
    assert "wikireversal, mlm-u, forward: 5.0% at step 10" in text
    assert text.count("wikireversal, mlm-u, forward:") == 1


def test_run_record_names_the_device_model_when_run_json_has_it(tmp_path):
    run = write_run(tmp_path, "toy", "ar", 0, [{"step": 1}], with_benchmarks=False)
    info = json.loads(Path(run["run_info"]).read_text())
    Path(run["run_info"]).write_text(json.dumps({**info, "device": "cuda", "device_name": "NVIDIA H200"}))
    assert runs.run_record(run, run["run_info"], None, None)["device"] == "cuda: NVIDIA H200"


def test_runs_table_says_how_many_models_a_job_trained(tmp_path):
    run = write_run(tmp_path, "toy", "ar", 0, [{"step": 1}], with_benchmarks=False)
    assert runs.run_record(run, run["run_info"])["pack_size"] == 1  # run.json before packs: one model a job
    info = json.loads(Path(run["run_info"]).read_text())
    Path(run["run_info"]).write_text(json.dumps({**info, "pack_size": 3}))
    table = runs.runs_markdown(pd.DataFrame([runs.run_record(run, run["run_info"])]))
    assert "models in the job" in table.splitlines()[0] and "| 3 |" in table


def test_mixed_hardware_names_the_tasks_whose_runs_differ():
    frame = pd.DataFrame({"task": ["toy", "toy", "star", "star"], "device": ["cpu", "cpu", "cpu", "cuda: H200"],
                          "precision": ["bfloat16", "float32", "float32", "float32"]})
    mixed = runs.mixed_hardware(frame)
    assert mixed == {"toy": ["cpu, bfloat16", "cpu, float32"], "star": ["cpu, float32", "cuda: H200, float32"]}
    assert runs.mixed_hardware(frame[frame.task == "toy"].head(1)) == {}
