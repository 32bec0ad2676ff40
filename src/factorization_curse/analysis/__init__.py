"""The results layer: from evaluation files to tables, intervals, figures and the report.

Torch-free (a test imports every module here with torch blocked), so every table and figure rule
starts in a fraction of a second. What is where:

- ``tables``: per-question tables and eval.json files to the long table (the output contract),
  learning curves (metrics.jsonl), and each task's Markdown table; ``layouts``: the paper's
  layouts of a long table; ``markdown``: pipe tables and Markdown files with their HTML page
  (``html``).
- ``statistics``: bootstrap intervals over facts and seeds, paired differences, verdicts.
- ``paper``: the paper's own numbers (paper_reference.yaml) as cells to compare with.
- ``comparisons``: our numbers beside the paper's (measured cells, the join, verdicts);
  ``paper_tables``: the paper's tables in its layout (Markdown, LaTeX); ``table4``: its Table 4.
- ``figures``: THE figure registry (every figure: file, caption, inputs, drawing function);
  ``draw``: each registered figure's drawing function; ``plotting``: the plots themselves.
- ``curves``: numbers read off the learning curves; ``runs``: each run's size, hardware and time.
- ``report``: the reproduction report, one function per section.

Metric names and labels come from :mod:`factorization_curse.metrics`, tasks from
:mod:`factorization_curse.tasks`.
"""
