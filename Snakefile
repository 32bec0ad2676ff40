# The factorization-curse pipeline: data -> one training job per (task, objective, seed) ->
# evaluation -> tables and figures. See README.md; settings live in config.yaml.
import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/lora.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/extensions.smk"


rule all:
    input:
        get_final_output(),
    default_target: True
