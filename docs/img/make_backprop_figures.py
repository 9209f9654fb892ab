"""Run docs/backprop.md's code: refresh its printed outputs and draw its pictures.

    python docs/img/make_backprop_figures.py           # rewrite outputs, write the SVGs
    python docs/img/make_backprop_figures.py --check   # exit 1 if an output is stale

The page's ```python blocks run in order in one namespace (in a temporary folder, as the docs
test runs them). A ```text block right after a python block is that block's printed output.
The graphs named in FIGURES are rendered to SVG next to this script (needs Graphviz's dot).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "backprop.md"
FIGURES = {"backprop_graph.svg": "graph", "backprop_failing.svg": "bad_graph"}
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)


def blocks(text: str) -> list:
    """(language, code, start, end) of every fenced block, in order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def run_blocks(text: str) -> tuple[list, dict]:
    """Execute the python blocks in order; returns [(block index, stdout)] and the namespace."""
    namespace = {"__name__": "doc:backprop.md"}
    outputs = []
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for i, (lang, code, _, _) in enumerate(blocks(text)):
                if lang != "python":
                    continue
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile(code, f"backprop.md[block {i}]", "exec"), namespace)
                outputs.append((i, out.getvalue()))
        finally:
            os.chdir(cwd)
    return outputs, namespace


def output_pairs(text: str, outputs: list) -> list:
    """(shown text block, actual output, text block's start, end) for each python block that is
    followed directly by a ```text block."""
    found = blocks(text)
    pairs = []
    for i, actual in outputs:
        if i + 1 < len(found) and found[i + 1][0] == "text" and \
                not text[found[i][3]:found[i + 1][2]].strip():
            _, shown, start, end = found[i + 1]
            pairs.append((shown, actual, start, end))
    return pairs


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = DOC.read_text()
    outputs, namespace = run_blocks(text)
    pairs = output_pairs(text, outputs)
    stale = [(shown, actual) for shown, actual, _, _ in pairs if shown != actual]
    if "--check" in argv:
        for shown, actual in stale:
            print(f"stale output:\n--- shown\n{shown}--- actual\n{actual}")
        return 1 if stale else 0
    for shown, actual, start, end in reversed(pairs):
        text = text[:start] + f"```text\n{actual}```\n" + text[end:]
    DOC.write_text(text)
    for filename, name in FIGURES.items():
        (HERE / filename).write_bytes(namespace[name].pipe(format="svg"))
        print(f"wrote {HERE / filename}")
    print(f"refreshed {len(stale)} output block(s) of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
