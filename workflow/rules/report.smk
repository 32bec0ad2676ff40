# Tables, figures and the reproduction report; the helpers that compute their targets are in
# report_common.smk.


include: "report_common.smk"


rule aggregate_results:
    input:
        # the task's own dataset first, then its variants (config.yaml `variants`)
        questions=lambda wc: question_files(task_datasets(wc.task), task_objectives(wc.task)),
        data=lambda wc: expand(rules.make_dataset.output.data, dataset=task_datasets(wc.task)),
    output:
        table=f"{RESULTS}/tables/{{task}}.csv",
        intervals=f"{RESULTS}/tables/{{task}}_intervals.csv",
        markdown=f"{RESULTS}/tables/{{task}}.md",
    params:
        code=RESULTS_CODE,
        objective_order=lambda wc: task_objectives(wc.task),
    log:
        f"{RESULTS}/logs/aggregate_results/{{task}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_results/{{task}}.tsv"
    conda:
        ENV
    script:
        "../scripts/aggregate_results.py"


rule aggregate_sweep:
    input:
        evaluations=lambda wc: eval_files(sweep_datasets(wc.sweep), config["sweeps"][wc.sweep]["objectives"]),
        data=lambda wc: expand(rules.make_dataset.output.data, dataset=sweep_datasets(wc.sweep)),
    output:
        table=f"{RESULTS}/tables/sweeps/{{sweep}}.csv",
    params:
        code=RESULTS_CODE,
        sweep=lambda wc: config["sweeps"][wc.sweep],
    log:
        f"{RESULTS}/logs/aggregate_sweep/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_sweep/{{sweep}}.tsv"
    conda:
        ENV
    script:
        "../scripts/aggregate_sweep.py"


rule sweeps:
    input:
        figure_targets("sweeps"),


rule paired_comparisons:
    input:
        questions=[q for task in config["tasks"] for q in question_files(task_datasets(task), task_objectives(task))],
    output:
        table=report(f"{RESULTS}/tables/comparisons.csv", caption="../report/comparisons.rst", category="Tables"),
        markdown=f"{RESULTS}/tables/comparisons.md",
    params:
        code=RESULTS_CODE,
        reference_objective=config["report"]["reference_objective"],
    log:
        f"{RESULTS}/logs/paired_comparisons.log",
    benchmark:
        f"{RESULTS}/benchmarks/paired_comparisons.tsv"
    conda:
        ENV
    script:
        "../scripts/paired_comparisons.py"


rule paper_table:
    input:
        intervals=lambda wc: task_intervals([t for t in fc_paper.table_tasks(REFERENCE, wc.table) if t in config["tasks"]]),
        reference=PAPER_REFERENCE,
    output:
        markdown=f"{RESULTS}/tables/paper/{{table}}.md",
        page=report(f"{RESULTS}/tables/paper/{{table}}.html", caption="../report/paper_table.rst", category="Tables"),
        latex=f"{RESULTS}/tables/paper/{{table}}.tex",
    wildcard_constraints:
        table="|".join(REFERENCE["tables"]),
    params:
        code=RESULTS_CODE,
        preset=PRESET,
        seeds=config["seeds"],
    log:
        f"{RESULTS}/logs/paper_table/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/paper_table/{{table}}.tsv",
    conda:
        ENV
    script:
        "../scripts/paper_table.py"


rule qualitative_summary:
    input:
        intervals=task_intervals(),
        data=task_data(),
        reference=PAPER_REFERENCE,
    output:
        markdown=f"{RESULTS}/tables/paper/table4.md",
        page=report(f"{RESULTS}/tables/paper/table4.html", caption="../report/table4.rst", category="Tables"),
        latex=f"{RESULTS}/tables/paper/table4.tex",
    params:
        code=RESULTS_CODE,
        thresholds=config["report"]["table4"],
        max_width=config["report"]["max_interval_width"],
        preset=PRESET,
        seeds=config["seeds"],
    log:
        f"{RESULTS}/logs/qualitative_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/qualitative_summary.tsv",
    conda:
        ENV
    script:
        "../scripts/qualitative_summary.py"


# One rule per entry of the figure registry (factorization_curse.analysis.figures.FIGURES), all of
# this shape: rule plot_<name> draws the entry's instances (their files, captions and inputs from the
# registry; FIGURE_INPUTS says which files each kind of input is) with workflow/scripts/plot.py.
for _figure in fc_figures.FIGURES.values():

    rule:
        name:
            f"plot_{_figure.name}"
        input:
            unpack(lambda wc, figure=_figure: figure_inputs(figure, wc)),
        output:
            figure=report(f"{RESULTS}/figures/{_figure.file}", caption="../report/figure.rst",
                          category=_figure.category, subcategory=_figure.subcategory),
        wildcard_constraints:
            panel="[a-z]",
        params:
            code=RESULTS_CODE,
            figure=lambda wc, figure=_figure: figure_instance(figure, wc),
            caption=lambda wc, figure=_figure: figure_instance(figure, wc)["caption"],
            runs=lambda wc, figure=_figure: figure_runs(figure, wc),
        log:
            figure_log(_figure, "logs", "log"),
        benchmark:
            figure_log(_figure, "benchmarks", "tsv")
        conda:
            ENV
        script:
            "../scripts/plot.py"


rule entity_representations:
    input:
        data=f"{RESULTS}/data/{{task}}",
        model=f"{RESULTS}/runs/{{task}}/{{objective}}/seed{{seed}}/model.pt",
    output:
        table=f"{RESULTS}/tables/entity_pca/{{task}}/{{objective}}_seed{{seed}}.csv",
    params:
        objective=lambda wc: config["objectives"][wc.objective],
        code=CODE,
    threads: training_threads()
    log:
        f"{RESULTS}/logs/entity_representations/{{task}}/{{objective}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/entity_representations/{{task}}/{{objective}}_seed{{seed}}.tsv"
    conda:
        ENV
    script:
        "../scripts/entity_representations.py"


rule write_report:
    input:
        reference=PAPER_REFERENCE,
        intervals=task_intervals(),
        comparisons=rules.paired_comparisons.output.table,
        task_markdown=expand(f"{RESULTS}/tables/{{task}}.md", task=config["tasks"]),
        data=task_data(),
        run_info=[r["run_info"] for r in runs_of(config["tasks"], variants=True)],
        metrics=[r["metrics"] for r in runs_of(config["tasks"], variants=True)],
        figures=[figure_path(f) for f in report_figures()],
        paper_tables=expand(f"{RESULTS}/tables/paper/{{table}}.md", table=paper_table_ids() + ["table4"]),
        # the experiments beyond the paper that config.yaml's `beyond_the_paper` lists (extensions.smk)
        beyond_markdown=lambda wc: [p for name in config["beyond_the_paper"] for p in BEYOND_THE_PAPER[name]["markdown"]],
        beyond_figures=lambda wc: [p for name in config["beyond_the_paper"] for p in BEYOND_THE_PAPER[name]["figures"]],
    output:
        report=f"{RESULTS}/report.md",
        page=report(f"{RESULTS}/report.html", caption="../report/reproduction_report.rst", category="Report"),
        comparison=report(f"{RESULTS}/tables/paper/comparison.csv", caption="../report/comparison.rst", category="Tables"),
    params:
        code=RESULTS_CODE,
        preset=PRESET,
        seeds=config["seeds"],
        task_objectives=TASK_OBJECTIVES,
        runs=runs_of(config["tasks"], variants=True),
        figures=report_figures(),
        settings=config["report"],
        implemented_tasks=list(TASKS),
        defined_objectives=fc.defined_objectives(config),
        beyond=lambda wc: [{"name": BEYOND_THE_PAPER[name]["title"], **BEYOND_THE_PAPER[name]} for name in config["beyond_the_paper"]],
    log:
        f"{RESULTS}/logs/write_report.log",
    benchmark:
        f"{RESULTS}/benchmarks/write_report.tsv",
    conda:
        ENV
    script:
        "../scripts/write_report.py"
