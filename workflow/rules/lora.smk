# The paper's Mistral-7B row (config.yaml `lora`): a pretrained causal LM fine-tuned with LoRA and
# evaluated like every other model. Its runs write the files of train_model and evaluate_model (an
# adapter folder instead of model.pt), so for the `lora` objective ids these rules take precedence.
LORA_OBJECTIVES = list(fc.lora_objectives(config))


rule finetune_lora:
    input:
        data=rules.make_dataset.output.data,
    output:
        adapter=directory(f"{RUN}/adapter"),
        metrics=f"{RUN}/metrics.jsonl",
        run_info=f"{RUN}/run.json",
    wildcard_constraints:
        objective="|".join(LORA_OBJECTIVES) or "(?!)",
    params:
        code=CODE,
        settings=lambda wc: fc.lora_settings(config, wc.dataset, wc.objective),
        task=lambda wc: fc.dataset_task(config, wc.dataset)[0],
        seed=lambda wc: int(wc.seed),
    threads: training_threads()
    resources:
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
        "../scripts/finetune_lora.py"


rule evaluate_lora:
    input:
        data=rules.make_dataset.output.data,
        adapter=rules.finetune_lora.output.adapter,
    output:
        evaluation=f"{RUN}/eval.json",
        predictions=f"{RUN}/predictions.jsonl",
        questions=f"{RUN}/questions.parquet",
    wildcard_constraints:
        objective="|".join(LORA_OBJECTIVES) or "(?!)",
    params:
        code=CODE,
        lora=lambda wc: fc.lora_settings(config, wc.dataset, wc.objective)["lora"],
        precision=lambda wc: fc.lora_settings(config, wc.dataset, wc.objective)["training"].get("precision", "auto"),
        task=lambda wc: fc.dataset_task(config, wc.dataset)[0],
    threads: training_threads()
    log:
        f"{RESULTS}/logs/evaluate_model/{{dataset}}/{{objective}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate_model/{{dataset}}/{{objective}}/seed{{seed}}.tsv"
    conda:
        ENV
    script:
        "../scripts/evaluate_lora.py"


ruleorder: finetune_lora > train_model

if PACK_SEEDS:

    ruleorder: finetune_lora > train_pack

ruleorder: evaluate_lora > evaluate_model
