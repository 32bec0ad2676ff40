"""The results layer: from evaluation files to tables, intervals, figures and the report.

Torch-free (a test imports every module here with torch blocked), so every table and figure rule
starts in a fraction of a second. What is where:

- ``tables``: eval.json files to the long table (the output contract) and its paper-layout twin.
- ``statistics``: bootstrap intervals over facts and seeds, paired differences, verdicts.
- ``paper``: the paper's own numbers (paper_reference.yaml) as cells to compare with.
- ``figures``: which figures a configuration draws, their files and captions; ``plotting`` draws them.
- ``report``: the reproduction report (Markdown, and HTML through ``html``).

Metric names and labels come from :mod:`factorization_curse.metrics`, tasks from
:mod:`factorization_curse.tasks`.
"""
