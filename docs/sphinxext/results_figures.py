"""Figures on the documentation's pages, read from ``benchmarks/results/``.

A page writes a measured figure as a placeholder that names the results file
and the value's path inside it, and a format::

    {{bench_uci_blocks_20splits.json:yacht/skbnn/ll/0|.3f}}

Keys are separated by ``/`` (a path with spaces is written in double
quotes); a list takes its index, a ``.jsonl`` file its line; ``*`` takes
every key at its level, for ``mean`` and the like. A placeholder may
combine several such references with ``+ - * /`` and ``abs``, ``min``,
``max``, ``mean`` (``{{a.json:x - b.json:y|.2f}}``), for a difference or
ratio of figures measured. The build replaces each placeholder
by its formatted value before Sphinx reads the page, so that a table or a
sentence shows what the results file holds and nothing else; a reference to
a missing file or key stops the build. Inside an inline literal
(````{{...}}````) a placeholder is shown as written.

``.. results-source:: FILE [FILE ...]`` prints, for each file, the command
that measured it, the commit of the code that did (or that recorded the
file, for the older ones) and the date, from
``benchmarks/results/provenance.json``.

The functions here need neither Sphinx nor docutils: the tests read pages
with them (``tests/test_docs_figures.py``).
"""

import json
import re
from functools import cache
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
PROVENANCE_FILE = "provenance.json"
PLACEHOLDER = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)
# An inline literal shows a placeholder as written (as CONTRIBUTING does).
LITERAL_OR_PLACEHOLDER = re.compile(r"``.+?``|\{\{(.+?)\}\}", re.DOTALL)
REFERENCE = re.compile(
    r'(\w[\w.\-]*\.jsonl?):(?:"([^"]+)"|((?:[\w.\-]+|\*)(?:/(?:[\w.\-]+|\*))*))'
)
FUNCTIONS = {"abs": abs, "min": min, "max": max, "mean": lambda v: sum(v) / len(v)}


@cache
def load_results(name):
    """Return the parsed content of ``benchmarks/results/<name>``."""
    text = (RESULTS_DIR / name).read_text()
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def lookup(name, path):
    """Return the value at ``path`` (keys joined by ``/``) in a results file.

    A ``*`` stands for every key (or index) at its level: the value is then
    the list of what each one holds.
    """
    return _walk(load_results(name), path.split("/"), name, path)


def _walk(value, keys, name, path):
    if not keys:
        return value
    key, rest = keys[0], keys[1:]
    if key == "*":
        children = value.values() if isinstance(value, dict) else value
        return [_walk(child, rest, name, path) for child in children]
    if isinstance(value, list):
        return _walk(value[int(key)], rest, name, path)
    if key not in value:
        raise KeyError(f"{name} has no {key!r} at {path!r}")
    return _walk(value[key], rest, name, path)


def evaluate(expression):
    """Return the value of a placeholder's arithmetic of results references."""
    values = {}

    def name_value(match):
        variable = f"_v{len(values)}"
        values[variable] = lookup(match.group(1), match.group(2) or match.group(3))
        return variable

    code = REFERENCE.sub(name_value, expression)
    if not values:
        raise ValueError(f"{expression!r} refers to no results file")
    names = set(re.findall(r"[A-Za-z_]\w*", code))
    if re.search(r"[^\w\s+\-*/(),.]", code) or names - set(values) - set(FUNCTIONS):
        raise ValueError(f"{expression!r} is not arithmetic of results")
    return eval(code, {"__builtins__": {}, **FUNCTIONS}, values)  # noqa: S307


def render(placeholder_body):
    """Return the figure of one placeholder's body (``expression|format``)."""
    expression, _, spec = placeholder_body.partition("|")
    value = evaluate(expression.strip())
    spec = spec.strip()
    if spec.endswith("%") and "." not in spec:
        raise ValueError(f"{placeholder_body!r}: give a percentage its digits")
    text = format(value, spec)
    # A figure that rounds to zero is written without its sign.
    return re.sub(r"^-(?=0?\.?0*%?$)", "", text)


def placeholders(text):
    """Return the bodies of ``text``'s placeholders, outside inline literals."""
    return [
        match.group(1)
        for match in LITERAL_OR_PLACEHOLDER.finditer(text)
        if match.group(1) is not None
    ]


def substitute(text):
    """Return ``text`` with every placeholder replaced by its figure."""

    def replace(match):
        body = match.group(1)
        return match.group(0) if body is None else render(body)

    return LITERAL_OR_PLACEHOLDER.sub(replace, text)


def referenced_files(text):
    """Return the names of the results files that ``text``'s placeholders read."""
    return {
        reference.group(1)
        for body in placeholders(text)
        for reference in REFERENCE.finditer(body)
    }


def provenance():
    """Return ``{file: {"command", "commit", "date"}}`` of every results file."""
    return json.loads((RESULTS_DIR / PROVENANCE_FILE).read_text())


def _replace_placeholders(app, docname, source):
    source[0] = substitute(source[0])


def setup(app):
    """Register the placeholders' substitution and ``results-source``."""
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class ResultsSource(SphinxDirective):
        """A "Measured by" box: command, commit and date of results files."""

        required_arguments = 1
        optional_arguments = 20

        def run(self):
            records = provenance()
            box = nodes.admonition(classes=["results-source"])
            box += nodes.title(text="Measured by")
            items = nodes.bullet_list()
            for name in self.arguments:
                record = records[name]
                paragraph = nodes.paragraph()
                paragraph += nodes.literal(text=record["command"])
                paragraph += nodes.Text(
                    f" (commit {record['commit']}, {record['date']}): "
                )
                paragraph += nodes.literal(text=f"benchmarks/results/{name}")
                items += nodes.list_item("", paragraph)
            box += items
            return [box]

    app.connect("source-read", _replace_placeholders)
    app.add_directive("results-source", ResultsSource)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
