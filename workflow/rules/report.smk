rule aggregate_results:
    input:
        evaluations=lambda wc: eval_files(wc.task, task_objectives(wc.task)),
        data=lambda wc: f"{RESULTS}/data/{wc.task}",
    output:
        table=f"{RESULTS}/tables/{{task}}.csv",
        markdown=f"{RESULTS}/tables/{{task}}.md",
    params:
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
    output:
        table=f"{RESULTS}/tables/sweeps/{{sweep}}.csv",
    params:
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
