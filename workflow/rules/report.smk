# Tables, figures and the reproduction report; the helpers that compute their targets are in
# report_common.smk.


include: "report_common.smk"


rule aggregate_results:
    input:
        # the task's own dataset first, then its variants (config.yaml `variants`)
        evaluations=lambda wc: eval_files(task_datasets(wc.task), task_objectives(wc.task)),
        data=lambda wc: expand(rules.make_dataset.output.data, dataset=task_datasets(wc.task)),
    output:
        table=f"{RESULTS}/tables/{{task}}.csv",
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


rule plot_figure:
    input:
        table=rules.aggregate_results.output.table,
        data=lambda wc: f"{RESULTS}/data/{wc.task}",
    output:
        figure=report(
            f"{RESULTS}/figures/{{task}}.pdf",
            caption="../report/forward_backward.rst",
            category="Figures",
        ),
    params:
        code=RESULTS_CODE,
        objective_order=lambda wc: task_objectives(wc.task),
    log:
        f"{RESULTS}/logs/plot_figure/{{task}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_figure/{{task}}.tsv"
    conda:
        ENV
    script:
        "../scripts/plot_figure.py"


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


rule plot_sweep:
    input:
        table=rules.aggregate_sweep.output.table,
    output:
        figure=report(
            f"{RESULTS}/figures/{{sweep}}.pdf",
            caption="../report/sweep.rst",
            category="Sweeps",
        ),
    params:
        code=RESULTS_CODE,
        sweep=lambda wc: config["sweeps"][wc.sweep],
    log:
        f"{RESULTS}/logs/plot_sweep/{{sweep}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_sweep/{{sweep}}.tsv"
    conda:
        ENV
    script:
        "../scripts/plot_sweep.py"


rule sweeps:
    input:
        get_sweep_output(),


rule paper_table:
    input:
        tables=lambda wc: task_tables([t for t in fc_paper.table_tasks(REFERENCE, wc.table) if t in config["tasks"]]),
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
        tables=task_tables(),
        data=task_data(),
        reference=PAPER_REFERENCE,
    output:
        markdown=f"{RESULTS}/tables/paper/table4.md",
        page=report(f"{RESULTS}/tables/paper/table4.html", caption="../report/table4.rst", category="Tables"),
        latex=f"{RESULTS}/tables/paper/table4.tex",
    params:
        code=RESULTS_CODE,
        thresholds=config["report"]["table4"],
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


rule plot_overview:
    input:
        tables=task_tables(),
        data=task_data(),
        reference=PAPER_REFERENCE,
    output:
        figure=report(f"{RESULTS}/figures/{fc_figures.FILES['overview']}", caption="../report/figure.rst",
                      category="Figures", subcategory="Overview"),
    params:
        code=RESULTS_CODE,
        objective_order=TASK_OBJECTIVES,
        caption=lambda wc: figure_spec("overview")["caption"],
    log:
        f"{RESULTS}/logs/plot_overview.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_overview.tsv",
    conda:
        ENV
    script:
        "../scripts/plot_overview.py"


rule plot_learning_curves:
    input:
        metrics=lambda wc: [r["metrics"] for r in curve_runs(figure_spec("figure4a"))],
    output:
        figure=report(f"{RESULTS}/figures/{fc_figures.FILES['learning_curves']}", caption="../report/figure.rst",
                      category="Figures", subcategory="Paper figures"),
    params:
        code=RESULTS_CODE,
        runs=lambda wc: curve_runs(figure_spec("figure4a")),
        objectives=lambda wc: figure_spec("figure4a")["objectives"],
        caption=lambda wc: figure_spec("figure4a")["caption"],
    log:
        f"{RESULTS}/logs/plot_learning_curves.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_learning_curves.tsv",
    conda:
        ENV
    script:
        "../scripts/plot_learning_curves.py"


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


rule plot_entity_pca:
    input:
        table=lambda wc: rules.entity_representations.output.table.format(
            task=figure_spec(f"figure4{wc.panel}")["task"], objective=wc.objective, seed=figure_spec(f"figure4{wc.panel}")["seed"]
        ),
    output:
        figure=report(f"{RESULTS}/figures/{fc_figures.FILES['entity_pca']}", caption="../report/figure.rst",
                      category="Figures", subcategory="Paper figures"),
    wildcard_constraints:
        panel="[a-z]",
    params:
        code=RESULTS_CODE,
        caption=lambda wc: figure_spec(f"figure4{wc.panel}")["caption"],
        task=lambda wc: figure_spec(f"figure4{wc.panel}")["task"],
    log:
        f"{RESULTS}/logs/plot_entity_pca/figure4{{panel}}_{{objective}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_entity_pca/figure4{{panel}}_{{objective}}.tsv",
    conda:
        ENV
    script:
        "../scripts/plot_entity_pca.py"


rule plot_stargraph:
    input:
        table=f"{RESULTS}/tables/{fc_figures.STARGRAPH_TASK}.csv",
        data=f"{RESULTS}/data/{fc_figures.STARGRAPH_TASK}",
        reference=PAPER_REFERENCE,
    output:
        figure=report(f"{RESULTS}/figures/{fc_figures.FILES['stargraph']}", caption="../report/figure.rst",
                      category="Figures", subcategory="Paper figures"),
    params:
        code=RESULTS_CODE,
        objective_order=lambda wc: TASK_OBJECTIVES.get(fc_figures.STARGRAPH_TASK, []),
        caption=lambda wc: figure_spec("figure5a")["caption"],
    log:
        f"{RESULTS}/logs/plot_stargraph.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_stargraph.tsv",
    conda:
        ENV
    script:
        "../scripts/plot_stargraph.py"


rule plot_delayed_generalisation:
    input:
        metrics=lambda wc: [r["metrics"] for r in curve_runs(figure_spec("figure7"))],
    output:
        figure=report(f"{RESULTS}/figures/{fc_figures.FILES['delayed_generalisation']}", caption="../report/figure.rst",
                      category="Figures", subcategory="Paper figures"),
    params:
        code=RESULTS_CODE,
        runs=lambda wc: curve_runs(figure_spec("figure7")),
        tasks=lambda wc: figure_spec("figure7")["tasks"],
        objectives=lambda wc: figure_spec("figure7")["objectives"],
        caption=lambda wc: figure_spec("figure7")["caption"],
    log:
        f"{RESULTS}/logs/plot_delayed_generalisation.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_delayed_generalisation.tsv",
    conda:
        ENV
    script:
        "../scripts/plot_delayed_generalisation.py"


rule write_report:
    input:
        reference=PAPER_REFERENCE,
        tables=task_tables(),
        task_markdown=expand(f"{RESULTS}/tables/{{task}}.md", task=config["tasks"]),
        data=task_data(),
        run_info=[r["run_info"] for r in runs_of(config["tasks"], variants=True)],
        metrics=[r["metrics"] for r in runs_of(config["tasks"], variants=True)],
        figures=[figure_path(f) for f in FIGURES],
        paper_tables=expand(f"{RESULTS}/tables/paper/{{table}}.md", table=paper_table_ids() + ["table4"]),
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
        figures=FIGURES,
        settings=config["report"],
        implemented_tasks=list(TASKS),
        defined_objectives=fc.defined_objectives(config),
    log:
        f"{RESULTS}/logs/write_report.log",
    benchmark:
        f"{RESULTS}/benchmarks/write_report.tsv",
    conda:
        ENV
    script:
        "../scripts/write_report.py"
