"""Every figure the documentation quotes comes from ``benchmarks/results/``.

The pages write measured figures as placeholders that the build fills from
the results files (``docs/sphinxext/results_figures.py``); the README, which
GitHub shows as written, quotes figures that must equal, at the digits
printed, a value in a results file it names.
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "sphinxext"))
import results_figures  # noqa: E402

# A decimal (with its sign and an optional percent sign), or a whole number
# of seconds: what a page would quote from a measurement. Version numbers
# (0.2.0), the digits of names (``float32``) and limits in minutes are not.
FIGURE = re.compile(
    r"(?<![\w.\-/])(?:[-−]?\d+\.\d+%?|\d[\d,]*\s?(?:s|ms))(?!\.?\d)(?![\w/])"
)
RESULTS_FILES = sorted(
    path.name
    for path in results_figures.RESULTS_DIR.iterdir()
    if path.name != results_figures.PROVENANCE_FILE
)


def _pages():
    """The hand-written pages of the site (not those the build generates)."""
    return sorted(
        path
        for folder in (DOCS, DOCS / "user_guide", DOCS / "results")
        for path in folder.glob("*.rst")
        if path.name != "sg_execution_times.rst"
    )


def _page_text(page):
    """The page's source with the files it includes in their place."""
    return re.sub(
        r"^\.\. include:: (\S+)$",
        lambda match: (page.parent / match.group(1)).read_text(),
        page.read_text(),
        flags=re.MULTILINE,
    )


def _prose(rst):
    """``rst`` without what quotes no figure: code, literals, math, options."""
    kept, skipping_indent = [], None
    for line in rst.splitlines():
        indent = len(line) - len(line.lstrip())
        if skipping_indent is not None:
            if not line.strip() or indent > skipping_indent:
                continue
            skipping_indent = None
        stripped = line.strip()
        if re.match(r"\.\. (code-block|math|image|figure|literalinclude)::", stripped):
            skipping_indent = indent
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            kept.append(line[:-1])
            skipping_indent = indent
            continue
        if re.match(r":[\w-]+:", stripped):  # a directive's option
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"``.+?``", "LITERAL", text, flags=re.DOTALL)
    text = results_figures.PLACEHOLDER.sub("FIGURE", text)
    text = re.sub(r":math:`[^`]*`", "MATH", text)
    return re.sub(r"<[^>]*>`_", "`_", text)  # link targets


def _bare_figures(text):
    text = re.sub(r"Python \d+\.\d+(?: or \d+\.\d+)?", "PYTHON", text)
    return [
        (text.count("\n", 0, match.start()) + 1, match.group())
        for match in FIGURE.finditer(text)
    ]


def test_every_results_file_has_its_command_commit_and_date():
    records = results_figures.provenance()
    assert sorted(records) == RESULTS_FILES
    for name, record in records.items():
        assert record["command"].strip(), name
        assert re.fullmatch(r"[0-9a-f]{7,40}", record["commit"]), name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["date"]), name


@pytest.mark.parametrize("page", _pages(), ids=lambda path: path.name)
def test_page_quotes_figures_only_from_results_files(page):
    text = _page_text(page)
    for body in results_figures.placeholders(text):
        results_figures.render(body)  # raises on a bad reference
    bare = _bare_figures(_prose(text))
    assert not bare, f"{page.name}: figures not read from benchmarks/results/: {bare}"
    sources = re.findall(r"^\s*\.\. results-source:: (.+)$", text, re.MULTILINE)
    for name in " ".join(sources).split():
        assert name in RESULTS_FILES, f"{page.name} cites a missing {name}"


def test_a_page_with_figures_says_where_they_were_measured():
    for page in _pages():
        text = _page_text(page)
        cited = set(" ".join(re.findall(r"\.\. results-source:: (.+)", text)).split())
        assert results_figures.referenced_files(text) <= cited, page.name


def _values(value):
    if isinstance(value, dict):
        for key, item in value.items():
            # Prose quotes summaries: every split's figure would match almost
            # any number.
            if not key.endswith("_by_split"):
                yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)


def _matches(figure, values):
    number = figure.replace("−", "-").replace(",", "")
    percent = number.endswith("%")
    number = re.sub(r"[^\d.\-]", "", number)
    digits = len(number.partition(".")[2])
    quoted = float(number)
    scale = 100 if percent else 1
    return any(round(scale * value, digits) == quoted for value in values)


def _figures_missing_from_named_files(prose, source):
    """Figures of ``prose`` in none of the results files ``source`` names."""
    named = set(re.findall(r"benchmarks/results/([\w.\-]+\.jsonl?)", source))
    assert named <= set(RESULTS_FILES), named - set(RESULTS_FILES)
    values = [
        value for name in named for value in _values(results_figures.load_results(name))
    ]
    return [
        (line, figure)
        for line, figure in _bare_figures(prose)
        if not _matches(figure, values)
    ]


def test_readme_figures_are_in_the_results_files_its_paragraph_names():
    # Each paragraph's figures against the files that paragraph names (a
    # table's, the paragraph's above it): pooled over the whole README, a
    # wrong figure would too easily match some other file's number.
    readme = (ROOT / "README.md").read_text()
    readme = re.sub(r"```.*?```", "", readme, flags=re.DOTALL)
    missing, source = [], ""
    for paragraph in readme.split("\n\n"):
        if re.search(r"benchmarks/results/", paragraph) or not paragraph.startswith(
            "|"
        ):
            source = paragraph
        prose = re.sub(r"`[^`]*`|\([^)]*\)\]|\]\([^)]*\)", "", paragraph)
        missing += _figures_missing_from_named_files(prose, source)
    assert not missing, (
        f"README figures in no results file their paragraph names: {missing}"
    )


def _example_prose(source):
    """An example's docstring and comments: the text its gallery page shows."""
    docstring = re.match(r'\s*"""(.*?)"""', source, re.DOTALL).group(1)
    comments = [
        line.strip()[1:]
        for line in source.splitlines()
        if line.strip().startswith("#") and not line.strip().startswith("# noqa")
    ]
    return _prose(docstring + "\n" + "\n".join(comments))


@pytest.mark.parametrize(
    "example", sorted((ROOT / "examples").glob("*.py")), ids=lambda path: path.stem
)
def test_example_prose_quotes_figures_from_the_results_files_it_names(example):
    # The examples' output is measured when they run; their prose is not.
    source = example.read_text()
    missing = _figures_missing_from_named_files(_example_prose(source), source)
    assert not missing, (
        f"{example.name}: figures in no results file it names: {missing}"
    )


def test_placeholders_format_what_the_results_file_holds(tmp_path):
    name = "bench_uci_blocks_20splits.json"
    ll = json.loads((results_figures.RESULTS_DIR / name).read_text())["yacht"]["skbnn"][
        "ll"
    ]
    assert results_figures.substitute(f"LL {{{{{name}:yacht/skbnn/ll/0|.3f}}}}") == (
        f"LL {ll[0]:.3f}"
    )
    difference = results_figures.render(
        f"{name}:yacht/skbnn/ll/0 - {name}:energy/skbnn/ll/0|.2f"
    )
    energy = json.loads((results_figures.RESULTS_DIR / name).read_text())["energy"]
    assert difference == f"{ll[0] - energy['skbnn']['ll'][0]:.2f}"
    with pytest.raises(KeyError, match="no 'nope'"):
        results_figures.render(f"{name}:yacht/nope|.3f")
    assert results_figures.substitute("``{{a.json:b|.1f}}``") == "``{{a.json:b|.1f}}``"
    with pytest.raises(ValueError, match="not arithmetic"):
        results_figures.render(f"{name}:yacht/skbnn/ll/0 + open|.3f")
    assert _bare_figures(
        "took 2.3 s, 95.8%, 4 s, in 30 minutes, version 0.2.0, Python 3.11, float32."
    ) == [(1, "2.3"), (1, "95.8%"), (1, "4 s")]
