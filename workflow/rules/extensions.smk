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
