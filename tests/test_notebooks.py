"""Every example runs as the notebook the documentation offers for download.

The notebooks are made by sphinx-gallery's own converter, the one the
documentation's build uses, and run by ``jupyter nbconvert --execute`` in a
folder of their own, as a user who downloaded one would run it. The examples
that take minutes (full MNIST, many fits) run with shorter settings, given
as the command-line arguments each example reads (``parse_known_args``) in a
first cell; the others run as they are. Needs the ``docs`` extra.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx_gallery")
pytest.importorskip("nbconvert")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).parent.parent / "examples"
# Shorter runs of the examples that take minutes as downloaded.
SHORTENED = {
    "mnist_mlp": ["--data-dir", "{mnist}", "--epochs", "1", "--draws", "5"],
    "mnist_conv": ["--data-dir", "{mnist}", "--epochs", "1", "--draws", "5"],
    "stream": ["--passes", "2"],
    "regression_conformal": ["--repeats", "1"],
}


def _notebook(example, folder):
    """Convert ``example`` as the gallery does; return the notebook's path."""
    from sphinx_gallery.gen_gallery import DEFAULT_GALLERY_CONF
    from sphinx_gallery.notebook import jupyter_notebook, save_notebook
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    script = folder / example.name
    shutil.copy(example, script)
    _, blocks = split_code_and_text_blocks(str(script))
    # The documentation's settings that change a notebook (docs/conf.py).
    gallery_conf = {**DEFAULT_GALLERY_CONF, "remove_config_comments": True}
    notebook = jupyter_notebook(blocks, gallery_conf, str(folder))
    path = folder / f"{example.stem}.ipynb"
    save_notebook(notebook, str(path))
    script.unlink()
    return path


@pytest.mark.parametrize(
    "example", sorted(EXAMPLES.glob("*.py")), ids=lambda path: path.stem
)
def test_downloaded_notebook_runs(example, tmp_path, tiny_mnist):
    path = _notebook(example, tmp_path)
    notebook = json.loads(path.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{example.name} converted to no code cells"
    arguments = [a.format(mnist=tiny_mnist) for a in SHORTENED.get(example.stem, [])]
    if arguments:
        notebook["cells"].insert(
            0,
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": f"import sys\nsys.argv += {arguments!r}",
            },
        )
        path.write_text(json.dumps(notebook))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=600",
            "--output",
            "executed.ipynb",
            path.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "MPLBACKEND"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((tmp_path / "executed.ipynb").read_text())
    outputs = [
        output
        for cell in executed["cells"]
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
    ]
    stderr = "".join(
        "".join(output.get("text", ""))
        for output in outputs
        if output.get("name") == "stderr"
    )
    assert "Warning" not in stderr, stderr
    assert outputs, f"{example.name}'s notebook showed nothing"
