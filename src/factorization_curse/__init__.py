"""Reproduce and extend "The Factorization Curse" (Kitouni et al., NeurIPS 2024).

Library layout, one idea per module:

- ``vocabulary``: special tokens and the symbolic tokenizer.
- ``tasks``: one module per task (data generator and its QA format), registered by name.
- ``objectives``: each training objective as a rule for which tokens are context for which.
- ``model``: one transformer family in three architectures (decoder, encoder, encoder-decoder).
- ``data``: datasets on disk to padded tensors.
- ``training``, ``evaluation``: the training loop (resumable) and greedy-generation metrics.
- ``analysis``: the results layer without torch: tables, statistics, comparisons with the paper,
  the figure registry and its plots, the reproduction report.

The library never imports snakemake; ``workflow/scripts`` are thin glue around it.
"""

__version__ = "0.1.0"
