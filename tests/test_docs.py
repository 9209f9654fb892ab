"""Code in the docs runs: every ```python block of README.md and docs/*.md is executed, the
blocks of one file in order in one namespace, in a temporary working directory."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_runs(path, tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"doc:{path.name}"}
    blocks = BLOCK.findall(path.read_text())
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{path.name}[block {i}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{path.name}: block {i} failed:\n{code}") from exc


def test_docs_have_code():
    assert any(BLOCK.search(p.read_text()) for p in DOC_FILES), "no executable doc code found"
