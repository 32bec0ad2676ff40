rule train_model:
    input:
        data=rules.make_dataset.output.data,
    output:
        model=f"{RUN}/model.pt",
        metrics=f"{RUN}/metrics.jsonl",
        run_info=f"{RUN}/run.json",
    params:
        # what identifies the run; the cadence (log/eval/checkpoint intervals) is read from the config
        settings=lambda wc: fc.run_identity(fc.run_settings(config, wc.dataset, wc.objective)),
        seed=lambda wc: int(wc.seed),
        code=CODE,
    threads: training_threads()
    resources:
        # per task and preset from config.yaml (`resources`); read by the SLURM executor
        gpu=lambda wc: fc.training_resources(config, wc.dataset)["gpu"],
        gpu_model=lambda wc: fc.training_resources(config, wc.dataset)["gpu_model"],
        cpus_per_task=lambda wc: fc.training_resources(config, wc.dataset)["cpus_per_task"],
        mem_mb=lambda wc: fc.training_resources(config, wc.dataset)["mem_mb"],
        runtime=lambda wc: fc.training_resources(config, wc.dataset)["runtime"],
    log:
        f"{RESULTS}/logs/train_model/{{dataset}}/{{objective}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_model/{{dataset}}/{{objective}}/seed{{seed}}.tsv"
    conda:
        ENV
    script:
        "../scripts/train_model.py"


# With the preset's pack_seeds (and more than one seed): every seed of a (dataset, objective) in one
# job, as a pack (factorization_curse.packing); each seed's files are exactly train_model's, so
# evaluation, aggregation and resume read them as they are. Deleting one seed's model reruns the pack.
if PACK_SEEDS:

    ruleorder: train_pack > train_model

    rule train_pack:
        input:
            data=rules.make_dataset.output.data,
        output:
            model=pack_files("model.pt"),
            metrics=pack_files("metrics.jsonl"),
            run_info=pack_files("run.json"),
        params:
            settings=lambda wc: fc.run_identity(fc.run_settings(config, wc.dataset, wc.objective)),
            seeds=config["seeds"],
            code=CODE,
        threads: training_threads()
        resources:
            gpu=lambda wc: fc.training_resources(config, wc.dataset)["gpu"],
            gpu_model=lambda wc: fc.training_resources(config, wc.dataset)["gpu_model"],
            cpus_per_task=lambda wc: fc.training_resources(config, wc.dataset)["cpus_per_task"],
            mem_mb=lambda wc: fc.training_resources(config, wc.dataset)["mem_mb"],
            runtime=lambda wc: fc.training_resources(config, wc.dataset)["runtime"],
        log:
            f"{RESULTS}/logs/train_pack/{{dataset}}/{{objective}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/train_pack/{{dataset}}/{{objective}}.tsv"
        conda:
            ENV
        script:
            "../scripts/train_model.py"


rule evaluate_model:
    input:
        data=rules.make_dataset.output.data,
        model=rules.train_model.output.model,
    output:
        evaluation=f"{RUN}/eval.json",
        predictions=f"{RUN}/predictions.jsonl",
        questions=f"{RUN}/questions.parquet",
    params:
        objective=lambda wc: config["objectives"][wc.objective],
        code=CODE,
        task=lambda wc: fc.dataset_task(config, wc.dataset)[0],
    threads: training_threads()
    resources:
        # a GPU where training has one (generation at the paper's sizes), a shorter limit
        gpu=lambda wc: fc.evaluation_resources(config, wc.dataset)["gpu"],
        gpu_model=lambda wc: fc.evaluation_resources(config, wc.dataset)["gpu_model"],
        cpus_per_task=lambda wc: fc.evaluation_resources(config, wc.dataset)["cpus_per_task"],
        mem_mb=lambda wc: fc.evaluation_resources(config, wc.dataset)["mem_mb"],
        runtime=lambda wc: fc.evaluation_resources(config, wc.dataset)["runtime"],
    log:
        f"{RESULTS}/logs/evaluate_model/{{dataset}}/{{objective}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate_model/{{dataset}}/{{objective}}/seed{{seed}}.tsv"
    conda:
        ENV
    script:
        "../scripts/evaluate_model.py"
