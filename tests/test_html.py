from factorization_curse.analysis.html import markdown_to_html

MARKDOWN = """# Table 1 (tiny)

Exact match (%) on **test** questions; see [the report](../../report.md#runs) and `config.yaml`.

| direction | ar | mlm-u |
|---|---|---|
| forward | 100.0 | 96.0 [90.1, 99.2] |
| backward | 0.0 | 88.0 |

- one item
  - a nested item
- two <items> & more
"""


def test_markdown_tables_lists_and_links_become_html():
    page = markdown_to_html(MARKDOWN, "Table 1")
    assert page.startswith("<!DOCTYPE html>") and "<title>Table 1</title>" in page
    assert '<h1 id="table-1-tiny">Table 1 (tiny)</h1>' in page
    assert "<tr><th>direction</th><th>ar</th><th>mlm-u</th></tr>" in page
    assert "<tr><td>forward</td><td>100.0</td><td>96.0 [90.1, 99.2]</td></tr>" in page
    assert '<a href="../../report.html#runs">the report</a>' in page and "<code>config.yaml</code>" in page
    assert "<strong>test</strong>" in page and "two &lt;items&gt; &amp; more" in page
    assert "<ul><li>a nested item</li></ul>" in page
