"""Fine-tune a pretrained causal LM with LoRA on one dataset (rule finetune_lora)."""
import torch

from factorization_curse.runtime import log_to
from factorization_curse.lora import LoraSettings, finetune_lora
from factorization_curse.training import TrainConfig

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.settings
finetune_lora(
    data_dir=snakemake.input.data,
    settings=LoraSettings(**settings["lora"]),
    train_config=TrainConfig(**settings["training"], seed=snakemake.params.seed),
    adapter_dir=snakemake.output.adapter,
    metrics_path=snakemake.output.metrics,
    run_info_path=snakemake.output.run_info,
    task=snakemake.params.task,
    log=log,
)
