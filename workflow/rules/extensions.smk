# Experiments beyond the paper, each a target outside `all` (docs/tasks.md).

# Objectives published since the paper (config.yaml `objectives`: mlm-u-entity, ar-rev-segment) on
# relationship and BioS, beside the paper's objectives they are compared with
# (`snakemake --cores all newer_objectives`): per task a long table, its 95% intervals and the
# paper-layout twin under tables/newer_objectives/.
NEWER_OBJECTIVES = {
    "relationship": ["mlm-u-entity", "ar-rev-segment", "ar", "ar-rev-ent", "mlm-u"],
    "bios": ["mlm-u-entity", "ar-rev-segment", "ar", "mlm-u"],
}


rule aggregate_newer_objectives:
    input:
        questions=lambda wc: question_files([wc.task], NEWER_OBJECTIVES[wc.task]),
        data=lambda wc: expand(rules.make_dataset.output.data, dataset=[wc.task]),
    output:
        table=f"{RESULTS}/tables/newer_objectives/{{task}}.csv",
        intervals=f"{RESULTS}/tables/newer_objectives/{{task}}_intervals.csv",
        markdown=f"{RESULTS}/tables/newer_objectives/{{task}}.md",
    wildcard_constraints:
        task="|".join(NEWER_OBJECTIVES),
    params:
        code=RESULTS_CODE,
        objective_order=lambda wc: NEWER_OBJECTIVES[wc.task],
    log:
        f"{RESULTS}/logs/aggregate_newer_objectives/{{task}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_newer_objectives/{{task}}.tsv"
    conda:
        ENV
    script:
        "../scripts/aggregate_results.py"


rule newer_objectives:
    input:
        expand(rules.aggregate_newer_objectives.output.markdown, task=list(NEWER_OBJECTIVES)),


# The factorization-gap meter (config.yaml `factorization_gap`; src/factorization_curse/factorization_gap.py):
# every listed model scores its test facts' training statements under each order
# (`snakemake --cores all factorization_gap`): tables/factorization_gap.{csv,md}, figures/factorization_gap.pdf.
FACTORIZATION_GAP = config.get("factorization_gap", {})


rule score_orders:
    input:
        data=rules.make_dataset.output.data,
        model=rules.train_model.output.model,
    output:
        orders=f"{RUN}/order_nll.parquet",
    params:
        objective=lambda wc: config["objectives"][wc.objective],
        task=lambda wc: fc.dataset_task(config, wc.dataset)[0],
        random_orders=FACTORIZATION_GAP.get("random_orders", 8),
        code=CODE,
    threads: training_threads()
    resources:
        gpu=lambda wc: fc.evaluation_resources(config, wc.dataset)["gpu"],
        gpu_model=lambda wc: fc.evaluation_resources(config, wc.dataset)["gpu_model"],
        cpus_per_task=lambda wc: fc.evaluation_resources(config, wc.dataset)["cpus_per_task"],
        mem_mb=lambda wc: fc.evaluation_resources(config, wc.dataset)["mem_mb"],
        runtime=lambda wc: fc.evaluation_resources(config, wc.dataset)["runtime"],
    log:
        f"{RESULTS}/logs/score_orders/{{dataset}}/{{objective}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/score_orders/{{dataset}}/{{objective}}/seed{{seed}}.tsv"
    conda:
        ENV
    script:
        "../scripts/score_orders.py"


rule factorization_gap_table:
    input:
        orders=expand(rules.score_orders.output.orders, dataset=FACTORIZATION_GAP.get("tasks", []),
                      objective=FACTORIZATION_GAP.get("objectives", []), seed=config["seeds"]),
    output:
        table=f"{RESULTS}/tables/factorization_gap.csv",
        markdown=f"{RESULTS}/tables/factorization_gap.md",
        figure=f"{RESULTS}/figures/factorization_gap.pdf",
    params:
        objective_order=FACTORIZATION_GAP.get("objectives", []),
        code=RESULTS_CODE,
    log:
        f"{RESULTS}/logs/factorization_gap_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/factorization_gap_table.tsv"
    conda:
        ENV
    script:
        "../scripts/factorization_gap.py"


rule factorization_gap:
    input:
        rules.factorization_gap_table.output,


# The model-size sweep (config.yaml `model_size_sweep`, the presets' `model_sizes`): each objective at
# each size on one task, every seed (`snakemake --cores all model_size_sweep`); the sizes' own
# objective ids are defined in common.smk (config.add_model_sweep_objectives, model_sweep_objectives).
rule aggregate_model_size_sweep:
    input:
        questions=lambda wc: question_files([MODEL_SWEEP_TASK], model_sweep_objectives()),
        run_info=lambda wc: expand(f"{RUN}/run.json", dataset=[MODEL_SWEEP_TASK], objective=model_sweep_objectives(),
                                   seed=config["seeds"]),
    output:
        table=f"{RESULTS}/tables/model_size_sweep.csv",
        markdown=f"{RESULTS}/tables/model_size_sweep.md",
        figure=f"{RESULTS}/figures/model_size_sweep.pdf",
    params:
        points=MODEL_SWEEP_POINTS,
        code=RESULTS_CODE,
    log:
        f"{RESULTS}/logs/aggregate_model_size_sweep.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_model_size_sweep.tsv"
    conda:
        ENV
    script:
        "../scripts/model_size_sweep.py"


rule model_size_sweep:
    input:
        rules.aggregate_model_size_sweep.output,


# What each experiment puts in the report when config.yaml's `beyond_the_paper` lists it (rule
# write_report, report.smk): its title, its tables' Markdown (inlined) and its figures (linked).
BEYOND_THE_PAPER = {
    "factorization_gap": {"title": "The factorization gap (the paper's Definition 1, measured)",
                          "markdown": [str(rules.factorization_gap_table.output.markdown)],
                          "figures": [str(rules.factorization_gap_table.output.figure)]},
    "model_size_sweep": {"title": "Model size: how AR and MLM-U scale",
                         "markdown": [str(rules.aggregate_model_size_sweep.output.markdown)],
                         "figures": [str(rules.aggregate_model_size_sweep.output.figure)]},
    "newer_objectives": {"title": "Objectives published since the paper",
                         "markdown": [str(p) for p in expand(rules.aggregate_newer_objectives.output.markdown,
                                                             task=list(NEWER_OBJECTIVES))],
                         "figures": []},
}
