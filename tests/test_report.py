"""The paper reference, the paper-vs-measured join and its verdicts, Table 4, the paper's tables
and the reproduction report, on hand-made numbers."""
import copy
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from factorization_curse.analysis import comparisons, paper, paper_tables, report, runs, table4
from factorization_curse.analysis.curves import curve_observations, dominance
from factorization_curse.analysis.tables import COLUMNS

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


def long_rows(objective, seed, forward, backward, metric="exact_match", task="toy"):
    return [[task, objective, seed, "forward", metric, forward], [task, objective, seed, "backward", metric, backward]]


def toy_table():
    rows = (long_rows("ar", 0, 100, 0) + long_rows("ar", 1, 100, 0)
            + long_rows("mlm-u", 0, 95, 70) + long_rows("mlm-u", 1, 85, 90)
            + long_rows("plm", 0, 100, 100) + long_rows("plm", 1, 100, 100)
            + long_rows("ar", 0, 20, 40, metric="incorrect_inference") + long_rows("ar", 1, 10, 30, metric="incorrect_inference"))
    return pd.DataFrame(rows, columns=COLUMNS)


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


def test_measured_cells_mean_std_and_the_pair_mean():
    cells = comparisons.measured_cells(toy_table()).set_index(["metric", "objective", "direction"])
    assert cells.loc[("exact_match", "mlm-u", "forward"), "mean"] == 90
    assert cells.loc[("exact_match", "mlm-u", "forward"), "std"] == pytest.approx(math.sqrt(50))
    assert cells.loc[("exact_match", "mlm-u", "forward"), "seeds"] == 2
    # "both": each seed's mean of forward and backward, then the mean over seeds
    assert cells.loc[("incorrect_inference", "ar", "both"), "mean"] == pytest.approx((30 + 20) / 2)


def test_join_a_missing_measurement_reads_not_run_never_a_number():
    cells = paper.paper_cells(REFERENCE)
    measured = comparisons.measured_cells(toy_table())
    joined = comparisons.compare(cells[cells.results == "toy"], measured, tolerance=10)
    row = joined[(joined.objective == "big-llm") & (joined.direction == "backward")].iloc[0]
    assert row.verdict == "not run" and math.isnan(row.measured) and math.isnan(row.difference)
    shown = comparisons.comparison_strings(joined)
    missing = shown[(shown.objective == "big-llm")]
    assert list(missing.measured) == ["not run", "not run"] and list(missing.difference) == ["", ""]
    assert not any(re.search(r"\d", m) for m in missing.measured)
    # a task that did not run at all: every cell not run
    not_run = comparisons.compare(cells[cells.results == "wiki"], None, tolerance=10)
    assert set(not_run.verdict) == {"not run"} and not_run.measured.isna().all()
    assert set(comparisons.comparison_strings(not_run).measured) == {"not run"}


def test_join_verdicts_and_extra_objectives():
    cells = paper.paper_cells(REFERENCE)
    joined = comparisons.compare(cells[cells.results == "toy"], comparisons.measured_cells(toy_table()), tolerance=10,
                            objective_order=list(REFERENCE["objectives"]))
    v = joined.set_index(["metric", "objective", "direction"])
    assert v.loc[("exact_match", "ar", "forward"), "verdict"] == "reproduced"
    assert v.loc[("exact_match", "mlm-u", "forward"), "verdict"] == "reproduced"  # 90 vs 100: exactly at the tolerance
    assert v.loc[("exact_match", "mlm-u", "backward"), "verdict"] == "reproduced"  # 80 vs 90
    assert v.loc[("exact_match", "mlm-u", "backward"), "difference"] == pytest.approx(-10)
    assert v.loc[("incorrect_inference", "ar", "both"), "verdict"] == "reproduced"  # 25 vs 30
    # measured, but the paper gives no number: shown, never judged
    assert v.loc[("exact_match", "plm", "forward"), "verdict"] == "no paper number"
    # the per-direction incorrect inference is not a paper cell: not in the join
    assert ("incorrect_inference", "ar", "forward") not in v.index
    # order: the paper's metrics, then the objective order, forward before backward
    assert list(joined.objective[:4]) == ["ar", "ar", "mlm-u", "mlm-u"] and list(joined.direction[:2]) == ["forward", "backward"]
    strict = comparisons.compare(cells[cells.results == "toy"], comparisons.measured_cells(toy_table()), tolerance=9.9)
    assert strict.set_index(["metric", "objective", "direction"]).loc[("exact_match", "mlm-u", "forward"), "verdict"] == "not reproduced"
    shown = comparisons.comparison_strings(joined).set_index(["objective", "direction"])
    assert shown.loc[("mlm-u", "forward"), "measured"] == "90.0 ± 7.1"
    assert shown.loc[("mlm-u", "backward"), "difference"] == "-10.0"


@pytest.mark.parametrize("measured,paper_value,expected", [
    (None, 5.0, "not run"), (float("nan"), 5.0, "not run"), (5.0, None, "no paper number"),
    (15.0, 5.0, "reproduced"), (15.1, 5.0, "not reproduced"), (0.0, 100.0, "not reproduced"),
])
def test_verdict(measured, paper_value, expected):
    assert comparisons.verdict(measured, paper_value, tolerance=10) == expected


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


def test_table4_from_measured_tables_and_against_the_paper():
    star = pd.DataFrame([["star", o, 0, "forward", "exact_match", v] for o, v in [("ar", 54), ("mlm-u", 98)]], columns=COLUMNS)
    measured = {"toy": comparisons.measured_cells(toy_table()), "star": comparisons.measured_cells(star)}
    t4 = table4.table4(measured, success=80, failure=20, chance={"star": 50.0})
    symbols = {(o, r): s for o, r, s in zip(t4.objective, t4.results, t4.measured)}
    assert symbols[("ar", "toy")] == "✓/✗"
    assert symbols[("mlm-u", "toy")] == "✓/✓"  # 90 / 80
    assert symbols[("ar", "star")] == "✗" and symbols[("mlm-u", "star")] == "✓"
    compared = table4.compare_table4(t4, paper.table4_symbols(REFERENCE)).set_index(["objective", "results"])
    assert compared.loc[("mlm-u", "toy"), "verdict"] == "reproduced"
    assert compared.loc[("ar", "toy"), "verdict"] == "reproduced"
    assert compared.loc[("mlm-u", "wiki"), "verdict"] == "not run" and compared.loc[("mlm-u", "wiki"), "measured"] == "not run"
    assert compared.loc[("plm", "toy"), "verdict"] == "no paper number"
    stricter = table4.compare_table4(table4.table4(measured, success=95, failure=20), paper.table4_symbols(REFERENCE))
    assert stricter.set_index(["objective", "results"]).loc[("mlm-u", "toy"), "verdict"] == "not reproduced"


# ----------------------------------------------------------------------------- the paper's tables


def test_paper_table_markdown_and_latex(tmp_path):
    csv = tmp_path / "toy.csv"
    toy_table().to_csv(csv, index=False)
    blocks = paper_tables.write_paper_table(REFERENCE, "table1", [csv], tmp_path / "t1.md", tmp_path / "t1.tex", "tiny", [0, 1])
    toy, wiki = blocks[0][1], blocks[1][1]
    assert list(toy.index) == ["forward", "forward (paper)", "backward", "backward (paper)"]
    assert toy.loc["backward", "mlm-u"] == "80.0 ± 14.1" and toy.loc["backward (paper)", "mlm-u"] == "90"
    assert toy.loc["forward", "big-llm"] == "not run" and toy.loc["forward (paper)", "plm"] == "–"
    assert set(wiki.loc["forward"]) == {"not run"} and wiki.loc["backward (paper)", "ar"] == "4.3"
    markdown = (tmp_path / "t1.md").read_text()
    assert "# Table 1: Toy (%)." in markdown and "| backward | 0.0 ± 0.0 | 80.0 ± 14.1 | 100.0 ± 0.0 | not run |" in markdown
    latex = (tmp_path / "t1.tex").read_text()
    for piece in [r"\toprule", r"\midrule", r"\bottomrule", r"80.0 $\pm$ 14.1", r"Toy (\%).", r"\label{tab:table1}"]:
        assert piece in latex
    assert "±" not in latex and "–" not in latex  # all as LaTeX


def wiki_table():
    """WikiReversal's long table: both split variants, told apart by the column split_seeds."""
    rows = []
    for split, numbers in [("same", {"ar": (14, 4), "mlm-u": (10, 8)}), ("different", {"ar": (30, 6), "mlm-u": (60, 40)})]:
        rows += [row + [split] for o, (f, b) in numbers.items() for row in long_rows(o, 0, f, b, task="wikireversal")]
    return pd.DataFrame(rows, columns=COLUMNS + ["split_seeds"])


def test_entries_read_their_split_variant_of_the_task_table():
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    tables = comparisons.entry_tables(ref, {"wikireversal": wiki_table(), "toy": toy_table()})
    assert set(tables) == {"wikireversal", "wikireversal_split-different", "toy"}  # toy: no entry reads it, kept
    assert set(tables["wikireversal"].split_seeds) == {"same"} and len(tables["wikireversal"]) == 4
    assert tables["wikireversal_split-different"].value.tolist() == [30, 6, 60, 40]
    assert comparisons.entry_task(ref, "wikireversal_split-different") == "wikireversal" and comparisons.entry_task(ref, "toy") == "toy"
    # a variant that did not run: its entry is absent (not run), the other one stays
    same_only = comparisons.entry_tables(ref, {"wikireversal": wiki_table().query("split_seeds == 'same'")})
    assert set(same_only) == {"wikireversal"}
    # a table without the column cannot tell the variants apart: neither entry reads it
    assert comparisons.entry_tables(ref, {"wikireversal": wiki_table().drop(columns="split_seeds")}) == {}


def test_table8_from_the_long_table_with_both_split_variants(tmp_path):
    ref = paper.load_reference(ROOT / "workflow" / "paper_reference.yaml")
    csv = tmp_path / "wikireversal.csv"
    wiki_table().to_csv(csv, index=False)
    blocks = paper_tables.write_paper_table(ref, "table8", [csv], tmp_path / "t8.md", tmp_path / "t8.tex", "tiny", [0])
    (same_title, same), (different_title, different) = blocks
    assert same_title.startswith("wikireversal, Table 3, Table 8 (left)")
    assert different_title.startswith("wikireversal_split-different, Table 8 (right)")
    assert list(same.columns) == list(different.columns) == ["ar", "mlm-15", "mlm-u", "mistral-7b-lora"]
    assert same.loc["backward", "mlm-u"] == "8.0" and same.loc["backward (paper)", "mlm-u"] == "7.6"
    assert different.loc["forward", "mlm-u"] == "60.0" and different.loc["forward (paper)", "mlm-u"] == "66"
    assert different.loc["forward", "mlm-15"] == "not run" and different.loc["backward (paper)", "mistral-7b-lora"] == "9"
    markdown = (tmp_path / "t8.md").read_text()
    assert markdown.startswith("# Table 8:") and "| forward | 30.0 | not run | 60.0 | not run |" in markdown


def test_table4_files(tmp_path):
    csv = tmp_path / "toy.csv"
    toy_table().to_csv(csv, index=False)
    table4.write_table4(REFERENCE, [csv], {}, 80, 20, tmp_path / "t4.md", tmp_path / "t4.tex", "tiny", [0, 1])
    markdown = (tmp_path / "t4.md").read_text()
    assert "| mlm-u | ✓/✓ (paper ✓/✓) | not run (paper ~/~) |" in markdown
    assert r"\checkmark/$\times$ (paper \checkmark/$\times$)" in (tmp_path / "t4.tex").read_text()


# ----------------------------------------------------------------------------- the report

SETTINGS = {"tolerance_points": 10, "table4": {"success": 80, "failure": 20}}  # config.yaml's `report`


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
    table = toy_table()
    table.to_csv(tmp_path / "toy.csv", index=False)
    curve = [{"step": 10, "forward_exact_match": 50.0, "backward_exact_match": 0.0},
             {"step": 20, "forward_exact_match": 100.0, "backward_exact_match": 40.0},
             {"step": 40, "forward_exact_match": 100.0, "backward_exact_match": 80.0}]
    runs = [write_run(tmp_path, "toy", o, s, curve, with_benchmarks=(o != "plm")) for o in ("ar", "mlm-u", "plm") for s in (0, 1)]
    figures = [{"id": "figure7", "kind": "delayed_generalisation", "path": "figures/figure7.pdf", "caption": "Curves.",
                "tasks": ["toy"], "objectives": ["mlm-u"], "observe": "delay"}]
    text = report.write_report(tmp_path / "report.md", report.ReportInputs(
        reference=REFERENCE, preset="tiny", seeds=[0, 1],
        task_objectives={"toy": ["ar", "mlm-u", "plm"]}, tables={"toy": tmp_path / "toy.csv"},
        data_info={"toy": {"config": {"size": 3}}}, runs=runs, settings=SETTINGS,
        figures=figures, paper_tables=["tables/paper/table1.md"], implemented_tasks=["toy"],
        defined_objectives=["ar", "mlm-u", "plm"]))
    assert (tmp_path / "report.md").read_text() == text
    assert "Preset **tiny**; training seeds 0, 1 (mean ± std over seeds); 6 training runs." in text
    assert "`wiki` (Table 3; wiki setting): not run: the task is not implemented in this pipeline." in text
    assert "Big LLM (`big-llm`): not implemented in this pipeline." in text
    assert "within **10 percentage points**" in text
    assert "| exact match | mlm-u | forward | 90.0 ± 7.1 | 100 | -10.0 | reproduced |" in text
    assert "| exact match | big-llm | forward | not run | 50 |  | not run |" in text
    assert "| exact match | ar | backward | not run | 4.3 |  | not run |" in text
    assert "| mlm-u | ✓/✓ (paper ✓/✓) | not run (paper ~/~) |" in text
    assert "- **figure7** [figures/figure7.pdf](figures/figure7.pdf): Curves." in text
    assert "  - Paper: backward rises late" in text
    assert "toy, mlm-u, backward: 80.0% at step 40 (90% of that first reached at step 40; +40.0 points" in text
    assert "| toy | ar | 0 | 40 | 1,234 | cpu | box | 2 | 14 | 12.5 | 13 | 480 | 14 |" in text
    assert "| toy | plm | 1 | 40 | 1,234 | cpu | box | 2 | – | 12.5 | – | – | – |" in text
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
    wiki_table().to_csv(tmp_path / "wikireversal.csv", index=False)
    curve = [{"step": 10, "forward_exact_match": 5.0, "backward_exact_match": 0.0}]
    runs = [{**write_run(tmp_path, dataset, o, 0, curve), "task": "wikireversal", "dataset": dataset}
            for dataset in ("wikireversal", "wikireversal_split-different") for o in ("ar", "mlm-u")]
    figures = [{"id": "figure7", "kind": "delayed_generalisation", "path": "figures/figure7.pdf", "caption": "Curves.",
                "tasks": ["wikireversal"], "objectives": ["mlm-u"], "observe": "delay"}]
    text = report.write_report(tmp_path / "report.md", report.ReportInputs(
        reference=ref, preset="tiny", seeds=[0],
        task_objectives={"wikireversal": ["ar", "mlm-u"]}, tables={"wikireversal": tmp_path / "wikireversal.csv"},
        data_info={"wikireversal": {"config": {"split_seeds": "same", "min_relation_count": 20}}}, runs=runs,
        settings=SETTINGS, figures=figures, paper_tables=[], implemented_tasks=["wikireversal"],
        defined_objectives=["ar", "mlm-15", "mlm-u"]))
    assert "4 training runs" in text and "- `wikireversal`: ar, mlm-u; also on its variant(s) `wikireversal_split-different`" in text
    same = text.split("### wikireversal: Table 3, Table 8 (left)")[1].split("###")[0]
    different = text.split("### wikireversal_split-different: Table 8 (right)")[1].split("###")[0]
    assert '`{"split_seeds": "same", "min_relation_count": 20}`' in same
    assert '`{"split_seeds": "different", "min_relation_count": 20}`' in different  # the variant's setting
    assert "[tables/wikireversal.md](tables/wikireversal.md)" in different
    assert "| exact match | mlm-u | forward | 10.0 | 11 | -1.0 | reproduced |" in same
    assert "| exact match | mlm-u | forward | 60.0 | 66 | -6.0 | reproduced |" in different
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
