"""Answer every test question with the LoRA fine-tuned model and score it (rule evaluate_lora)."""
import torch

from factorization_curse.runtime import log_to
from factorization_curse.lora import LoraSettings, evaluate_lora

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
w = snakemake.wildcards
evaluate_lora(
    data_dir=snakemake.input.data,
    settings=LoraSettings(**snakemake.params.lora),
    adapter_dir=snakemake.input.adapter,
    run={"task": snakemake.params.task, "dataset": w.dataset, "objective": w.objective, "seed": int(w.seed)},
    evaluation_path=snakemake.output.evaluation,
    predictions_path=snakemake.output.predictions,
    questions_path=snakemake.output.questions,
    log=log,
    precision=snakemake.params.precision,
)
