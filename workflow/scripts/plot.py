"""Draw one figure of the registry (factorization_curse.analysis.figures): every rule plot_<figure>."""
from factorization_curse.analysis.draw import FigureInputs, draw
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
files = {kind: [paths] if isinstance(paths, str) else list(paths) for kind, paths in snakemake.input.items()}
draw(snakemake.params.figure, FigureInputs(files, snakemake.params.runs), snakemake.output.figure)
log(f"{snakemake.params.figure['id']}: {', '.join(f'{len(v)} {k}' for k, v in files.items())} -> {snakemake.output.figure}")
