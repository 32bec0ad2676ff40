rule make_dataset:
    input:
        # the files a task reads instead of generating (star graph: train_file, test_file); none for most
        sources=lambda wc: fc.dataset_sources(config, wc.dataset),
    output:
        data=directory(f"{RESULTS}/data/{{dataset}}"),
    params:
        task=lambda wc: fc.dataset_task(config, wc.dataset)[0],
        generator=lambda wc: fc.dataset_task(config, wc.dataset)[1],
        seed=config["data_seed"],
        code=DATA_CODE,
    log:
        f"{RESULTS}/logs/make_dataset/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/make_dataset/{{dataset}}.tsv"
    conda:
        ENV
    script:
        "../scripts/make_dataset.py"
