"""The typed settings one job runs with: :class:`ModelConfig` (the model) and :class:`TrainConfig`
(its training), apart from the code that uses them (:mod:`.model`, :mod:`.training`) because they
are torch-free: the Snakemake DAG build (:mod:`.config`) builds the ModelConfig of every planned
run, to refuse an impossible model before any job starts, without loading torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ARCHITECTURES = ("decoder", "encoder", "encoder-decoder")
BOS_POSITIONS = ("sink", "ordinary")


@dataclass
class ModelConfig:
    vocab_size: int
    architecture: str = "encoder-decoder"
    n_layer: int = 2  # blocks per stack (the encoder-decoder has this many in each stream)
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 0  # MLP width; 0 means 4 * d_model
    dropout: float = 0.0  # the paper trains without dropout
    rope_base: float = 10000.0
    # "sink": the BOS key carries no position (see model.py's docstring); "ordinary": BOS is rotated
    # like every other token (position 0). The paper does not say; the report's notes give the ablation.
    bos_position: str = "ordinary"

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}; choose one of {ARCHITECTURES}")
        if self.bos_position not in BOS_POSITIONS:
            raise ValueError(f"bos_position={self.bos_position!r}: choose one of {BOS_POSITIONS}")
        if self.d_model % self.n_head or (self.d_model // self.n_head) % 2:
            raise ValueError(f"d_model={self.d_model} must split into n_head={self.n_head} heads of even width")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig:
    steps: int = 2000
    # > 0: the budget in epochs of the training split, as the paper gives it (WikiReversal: 1500);
    # steps = ceil(epochs * training sequences / sequences a step), computed when the data is loaded
    epochs: float = 0.0
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_fraction: float = 0.01  # the paper warms up over 1% of training
    lr_schedule: str = "cosine"  # "cosine" (decay to min_lr_fraction) or "constant"
    min_lr_fraction: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 250  # steps between validation-split evaluations logged to metrics.jsonl
    eval_max_examples: int = 1000  # validation questions per evaluation during training (per run)
    checkpoint_every: int = 500  # steps between rolling checkpoints (0: by steps never)
    # minutes between rolling checkpoints (0: by time never): at paper scale a checkpoint is ~1 GB,
    # so time, not steps, bounds the work a preemption loses
    checkpoint_minutes: float = 0.0
    log_every: int = 100
    seed: int = 0
    device: str = "auto"  # "auto" (cuda if visible), "cpu" or "cuda"
    # "auto": bf16 autocast where the hardware computes in bf16 (a GPU that supports it, a CPU with
    # AVX512-BF16 or AMX; measured at the tiny preset on Zen 4: training steps 1.3-1.5x faster), else
    # fp32; "bf16" or "fp32" to force
    precision: str = "auto"
    compile: bool = False  # torch.compile the model (measured: slower at the tiny preset on CPU)


# Settings that change only what is logged, evaluated on validation, or checkpointed, and when: never
# the trained model. They are not part of a run's identity, so changing them neither reruns a
# training job nor restarts a checkpointed run (TrainConfig holds them with the others).
CADENCE_KEYS = ("log_every", "eval_every", "eval_max_examples", "checkpoint_every", "checkpoint_minutes")
