"""The reproduction report, ``results/<preset>/report.md`` (with its HTML page and, optionally,
every compared cell as one CSV).

What the report reads is one :class:`ReportInputs` (rule ``write_report``); :class:`Report` adds
what is computed from it once (measured cells with their 95% intervals, the comparisons with the
paper and their verdicts, chance levels).
Each section of the report is a function of the :class:`Report` returning its lines, listed in
:data:`SECTIONS` in the order they are printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..answers import normaliser_description
from ..tasks import TASKS
from . import paper as paper_ref
from .comparisons import (INCONSISTENT, NOT_RUN, UNDERPOWERED, compare, comparison_strings, entry_tables, entry_task,
                          measured_cells, verdict_counts)
from .curves import figure_observations
from .markdown import markdown_table, write_markdown
from .paired import BETWEEN_OBJECTIVES, comparisons_markdown
from .runs import mixed_hardware, run_record, runs_markdown
from .table4 import compare_table4, table4, table4_grid


@dataclass(frozen=True)
class ReportInputs:
    """What the report reads. ``intervals``: task -> its intervals CSV (``tables/<task>_intervals.csv``);
    ``data_info``: task -> its dataset's info.json; ``runs``: one dict per training run with task,
    objective, seed, the paths ``run_info`` (run.json), ``metrics`` (metrics.jsonl),
    ``train_benchmark`` and ``eval_benchmark`` (and ``dataset`` for a run of a task's variant);
    ``settings``: config.yaml's ``report`` (``max_interval_width``, ``table4``, ``reference_objective``);
    ``figures``: the figures the report lists (instances of :mod:`.figures` with ``path`` relative to
    the report added); ``paper_tables``: the paper-layout tables' paths, relative to the report;
    ``comparisons``: the paired comparisons (``tables/comparisons.csv``, :mod:`.paired`)."""

    reference: dict
    preset: str
    seeds: list[int]
    task_objectives: dict[str, list[str]]
    intervals: dict[str, str | Path]
    data_info: dict[str, dict]
    runs: list[dict]
    settings: dict
    figures: list[dict] = field(default_factory=list)
    paper_tables: list[str] = field(default_factory=list)
    implemented_tasks: list[str] = field(default_factory=list)
    defined_objectives: list[str] = field(default_factory=list)
    comparisons: str | Path | None = None
    # experiments beyond the paper that config.yaml's `beyond_the_paper` puts in the report: one dict
    # per experiment with its ``name``, its tables' Markdown files (``markdown``, read and inlined) and
    # its figures (``figures``, paths relative to the report)
    beyond: list[dict] = field(default_factory=list)

    @property
    def max_width(self) -> float:
        return self.settings["max_interval_width"]

    @property
    def success(self) -> float:
        return self.settings["table4"]["success"]

    @property
    def failure(self) -> float:
        return self.settings["table4"]["failure"]


@dataclass(frozen=True)
class Report:
    """The inputs and what every section needs computed from them."""

    inputs: ReportInputs
    measured_tables: dict[str, pd.DataFrame]  # results entry (or task no entry reads) -> its intervals table
    measured: dict[str, pd.DataFrame]  # the same names -> comparisons.measured_cells
    chance: dict[str, float | None]
    comparisons: dict[str, pd.DataFrame]  # results entry -> comparisons.compare
    order: list[str]  # the paper's objective order

    @classmethod
    def of(cls, inputs: ReportInputs) -> "Report":
        reference = inputs.reference
        cells = paper_ref.paper_cells(reference)
        measured_tables = entry_tables(reference, {name: pd.read_csv(p) for name, p in inputs.intervals.items()})
        measured = {name: measured_cells(t) for name, t in measured_tables.items()}
        order = paper_ref.objective_order(reference)
        chance = {name: inputs.data_info.get(entry_task(reference, name), {}).get("chance_exact_match")
                  for name in measured}
        comparisons = {name: compare(cells[cells.results == name], measured.get(name), inputs.max_width, order)
                       for name in reference["results"]}
        return cls(inputs, measured_tables, measured, chance, comparisons, order)

    @property
    def all_rows(self) -> pd.DataFrame:
        """Every compared cell of every results entry."""
        return pd.concat(list(self.comparisons.values()), ignore_index=True)


def title(r: Report) -> list[str]:
    paper = r.inputs.reference["paper"]
    return [f"# Reproduction report: {paper['title']}", "",
            f"{paper['authors']}, {paper['venue']}, arXiv {paper['arxiv']}. Written by the pipeline (rule "
            "`write_report`) from the runs listed at the end; the paper's numbers are in "
            "`workflow/paper_reference.yaml`."]


def what_was_run(r: Report) -> list[str]:
    i = r.inputs
    lines = ["", "## What was run", "",
             f"- Preset **{i.preset}**; training seeds {', '.join(map(str, i.seeds))} "
             f"({'every cell a mean over seeds and test questions with its 95% interval' if len(i.seeds) > 1 else 'one seed, so the intervals cover the questions only, not seed-to-seed variation'}); "
             f"{len(i.runs)} training runs.",
             "- Tasks and objectives:"]
    for task, objectives in i.task_objectives.items():
        variants = list(dict.fromkeys(x["dataset"] for x in i.runs if x["task"] == task and x.get("dataset", task) != task))
        lines.append(f"  - `{task}`: {', '.join(objectives)}"
                     + (f"; also on its variant(s) {', '.join(f'`{v}`' for v in variants)}" if variants else ""))
    return lines


def what_was_not_run(r: Report) -> list[str]:
    i, reference = r.inputs, r.inputs.reference
    not_run = []
    for name, entry in reference["results"].items():
        if name not in r.measured_tables:
            if entry["task"] in i.intervals:
                why = (f"not run: `tables/{entry['task']}.csv` has no rows with {json.dumps(entry.get('where', {}))} "
                       "(see `variants` in config.yaml)")
            elif entry["task"] in i.implemented_tasks:
                why = "not run in this configuration (add the task to `tasks` in config.yaml)"
            else:
                why = "not run: the task is not implemented in this pipeline"
            not_run.append(f"- `{name}` ({entry['source']}; {entry['setting']}): {why}.")
    missing = [o for o in reference["objectives"] if o not in i.defined_objectives]
    not_run += [f"- {paper_ref.objective_label(reference, o)} (`{o}`): not implemented in this pipeline."
                for o in missing]
    for name, c in r.comparisons.items():
        absent = [o for o in dict.fromkeys(c.objective[c.verdict == NOT_RUN]) if o not in missing]
        if name in r.measured_tables and absent:
            not_run.append(f"- `{name}`: the paper's {', '.join(absent)} not among this task's objectives here.")
    return (["", "## What was not run", ""] + (not_run or ["- Nothing: every task and objective the paper reports ran."])
            + ["", "Sizes differ from the paper's: each task's section below gives its data settings here and in the "
               "paper; [Runs](#runs-time-and-hardware) gives model sizes, steps, time and hardware."])


def question_sources(r: Report) -> list[str]:
    return ["", "## Which questions each number comes from", "",
            "- Every table cell, verdict and Table 4 symbol: the **test** split, scored once after training.",
            "- Learning curves (Figures 4a and 7, the curve observations) and every choice of settings: the "
            "**validation** split, held-out questions of other facts than test's (at least 50 per direction "
            "where a task has that many; `tasks.split_validation`).",
            "- Entity PCA (Figures 4b, 4c): entities of training statements; \"held-out\" marks facts whose "
            "questions were not trained on (validation or test)."]


def how_cells_are_judged(r: Report) -> list[str]:
    i = r.inputs
    return ["", "## How cells are judged", "",
            "Every measured cell is the mean over seeds and test questions with a **95% interval** from a two-level "
            "bootstrap that resamples the facts the questions belong to (questions about one fact are not independent) "
            "and the training seeds (`analysis/statistics.py`; 4000 draws, seeded).",
            f"- **underpowered**: the interval is wider than **{i.max_width:g} points** (`report.max_interval_width`), "
            "whatever the paper's number; the cell says how many facts would narrow it to that width (the width "
            "shrinks with the square root of the number of facts).",
            "- **consistent**: the paper's number lies inside the interval; **inconsistent**: outside it.",
            "- **not run**: nothing measured (task, objective or seed not run); such a cell never shows a number.",
            "- **no paper number**: measured here; the paper's notes give no number for it.",
            "- Where the paper gives one number for a question pair (incorrect inference), it is compared with forward "
            "and backward questions pooled (\"forward & backward\").",
            f"- Table 4: ✓ exact match ≥ {i.success:g}%, ✗ below {i.failure:g}%, ~ between (`report.table4`); on a task "
            "with a chance level, accuracy is first taken above chance: 100·(acc − chance)/(100 − chance). A symbol is "
            "consistent with the paper's when it is among those the interval spans.",
            "", f"All cells: {verdict_counts(r.all_rows.verdict)}."]


def results_entry(r: Report, name: str, entry: dict) -> list[str]:
    """One results entry of the paper: its setting here and there, its verdicts and every cell."""
    c = r.comparisons[name]
    lines = ["", f"### {name}: {entry['source']}" + ("" if name in r.measured_tables else f" ({NOT_RUN})"), "",
             f"- Paper: {entry['setting']}."]
    if name in r.measured_tables:
        task = entry["task"]
        settings = {**r.inputs.data_info.get(task, {}).get("config", {}), **entry.get("where", {})}
        settings = json.dumps(settings, separators=(", ", ": "))
        level = r.chance.get(name)
        lines.append(f"- Here: `{settings}`" + (f"; chance level {level:g}%" if level is not None else "") + ".")
        seeds_here = sorted(int(s) for s in r.measured_tables[name].seeds.unique())
        lines.append(f"- Seeds per cell: {', '.join(map(str, seeds_here))}; all metrics: [tables/{task}.md](tables/{task}.md).")
        normaliser = TASKS[task].answer_normaliser if task in TASKS else None
        if normaliser is not None:
            lines.append(f"- Exact match here: {normaliser_description(normaliser)}")
    lines.append(f"- Verdicts: {verdict_counts(c.verdict, keep_zero=False)}.")
    lines += [f"- Note: {note}" for note in entry.get("notes", []) + entry.get("not_stated", [])]
    return lines + ["", markdown_table(comparison_strings(c).set_index("metric"))]


def results_beside_the_paper(r: Report) -> list[str]:
    results = r.inputs.reference["results"]
    lines = ["", "## Results beside the paper"]
    for name, entry in results.items():
        lines += results_entry(r, name, entry)
    for task in [t for t in r.measured_tables if t not in results]:
        lines += ["", f"### {task}", "", f"The paper's notes hold no numbers for this task: [tables/{task}.md](tables/{task}.md)."]
    return lines


def table4_summary(r: Report) -> list[str]:
    i = r.inputs
    t4 = compare_table4(table4(r.measured, i.success, i.failure, r.chance), paper_ref.table4_symbols(i.reference),
                        i.max_width)
    compared = t4[t4.paper != "–"]
    entries = list(r.measured) + [x for x in dict.fromkeys(t4.results) if x not in r.measured]
    lines = ["", "## Table 4: qualitative summary", "",
             "Forward/backward symbols computed from the measured exact match (thresholds above); in parentheses the "
             "paper's Table 4, whose rows for MLM-U and AR the notes give "
             f"([tables/paper/table4.md](tables/paper/table4.md)). Against the paper: {verdict_counts(compared.verdict, False)}.",
             "", markdown_table(table4_grid(t4, r.order, entries))]
    for verdict in (INCONSISTENT, UNDERPOWERED):
        differ = compared[compared.verdict == verdict]
        if len(differ):
            lines += ["", f"{verdict.capitalize()}: " + "; ".join(
                f"{o} on {e} ({m} here, interval spans {s}; {p} in the paper)" for o, e, m, s, p in
                zip(differ.objective, differ.results, differ.measured, differ.spans, differ.paper)) + "."]
    return lines


def paired_comparisons(r: Report) -> list[str]:
    """Each objective against the reference objective, and forward against backward, on the same questions."""
    if r.inputs.comparisons is None:
        return []
    comparisons = pd.read_csv(r.inputs.comparisons)
    reference = r.inputs.settings.get("reference_objective", "mlm-u")
    between = comparisons[comparisons.comparison == BETWEEN_OBJECTIVES]
    better = between[between.differs & (between.difference > 0)]
    worse = between[between.differs & (between.difference < 0)]
    lines = ["", "## Paired comparisons", "",
             f"Exact match of each objective minus `{reference}`'s on the same test questions, per direction, and "
             "each model's forward minus backward (the reversal gap), with 95% intervals (the same facts drawn for "
             "both sides) and McNemar's exact test at one seed ([tables/comparisons.md](tables/comparisons.md), "
             "`tables/comparisons.csv`). "
             f"Of {len(between)} objective-vs-`{reference}` differences, {len(better)} are above 0 and {len(worse)} "
             "below with their interval excluding 0; the rest are not told apart at this size."]
    body = comparisons_markdown(comparisons).split("\n", 2)[2]  # without its title line
    return lines + [body.replace("\n## ", "\n### ").rstrip()]


def figures(r: Report) -> list[str]:
    lines = ["", "## Figures", ""]
    claims = r.inputs.reference.get("figures") or {}
    for figure in r.inputs.figures:
        lines.append(f"- **{figure['id']}** [{figure['path']}]({figure['path']}): {figure['caption']}")
        if figure["id"] in claims:
            lines.append(f"  - Paper: {claims[figure['id']]}")
        lines += [f"  - Here: {o}" for o in figure_observations(figure, r.inputs.runs)]
    return lines


def tables(r: Report) -> list[str]:
    return (["", "## Tables", "",
             "The paper's tables in its layout, measured beside the paper's numbers (Markdown; LaTeX with booktabs beside each):", ""]
            + [f"- [{Path(p).name}]({p})" for p in r.inputs.paper_tables]
            + ["- Each task with all its metrics: " + ", ".join(f"[{t}](tables/{t}.md)" for t in r.inputs.intervals)])


def runs_time_and_hardware(r: Report) -> list[str]:
    lines = ["", "## Runs: time and hardware", "",
             "From each run's `run.json` (parameters, device and its model, host, threads, the training loop's own seconds) and the "
             "Snakemake benchmark files in `benchmarks/` (each job's wall time, CPU time, peak memory). A resumed "
             "run's training loop counts only its last session; \"–\": no benchmark file.", ""]
    records = [run_record(x, x["run_info"], x.get("train_benchmark"), x.get("eval_benchmark")) for x in r.inputs.runs]
    if not records:
        return lines
    frame = pd.DataFrame(records)
    lines.append(runs_markdown(frame))
    for task, kinds in mixed_hardware(frame).items():
        lines += ["", f"**{task} mixes kinds of run**: {'; '.join(kinds)}. The same seed gives other numbers on "
                  "each, so its cells pool runs that are not repeats of one another."]
    total = pd.to_numeric(frame.train_job_s, errors="coerce").sum() + pd.to_numeric(frame.eval_job_s, errors="coerce").sum()
    machines = sorted({f"{h} ({d}, {t} thread{'' if t == 1 else 's'} per job)"
                       for h, d, t in zip(frame.host, frame.device, frame.threads)})
    lines += ["", f"Training and evaluation jobs together: {total:,.0f} s ({total / 3600:.2f} h) on {', '.join(machines)}."]
    commits = sorted({c for c in frame.git_commit if c})
    if commits:
        lines.append(f"Code version of the runs (git commit): {', '.join(c[:12] for c in commits)}.")
    return lines


def beyond_the_paper(r: Report) -> list[str]:
    """The experiments beyond the paper that the config lists, each table inlined (its title replaced
    by the experiment's heading, its sections two levels down) and each figure linked."""
    if not r.inputs.beyond:
        return []
    lines = ["", "## Beyond the paper", "",
             "Experiments the paper does not run (config.yaml `beyond_the_paper`; each also a target of its own, docs/tasks.md)."]
    for experiment in r.inputs.beyond:
        lines += ["", f"### {experiment['name']}"]
        for path in experiment["markdown"]:
            text = Path(path).read_text()
            # the file's own title gives way to the experiment's heading; its sections go two levels down
            lines += [""] + [("##" + line if line.startswith("#") else line) for line in text.strip().splitlines()
                             if not line.startswith("# ")]
        lines += [""] + [f"![{Path(f).stem}]({f}) ([{Path(f).name}]({f}))" for f in experiment["figures"]]
    return lines


SECTIONS = (title, what_was_run, what_was_not_run, question_sources, how_cells_are_judged, results_beside_the_paper,
            table4_summary, paired_comparisons, figures, beyond_the_paper, tables, runs_time_and_hardware)


def write_report(path: str | Path, inputs: ReportInputs, comparison_path: str | Path | None = None) -> str:
    """Write ``report.md`` (links relative to its folder) and its HTML page ``report.html``, and
    with ``comparison_path`` every compared cell as CSV; return the Markdown."""
    r = Report.of(inputs)
    text = "\n".join(line for section in SECTIONS for line in section(r)) + "\n"
    write_markdown(path, text, f"Reproduction report ({inputs.preset})")
    if comparison_path is not None:  # every measured cell beside the paper's, as one CSV
        r.all_rows.to_csv(comparison_path, index=False)
    return text
