"""docs/api.md documents every public name, and the output the docs show is what the code prints.

* Every name in the ``__all__`` of minigrad's public modules (modules named in an ``__all__``
  are followed too), every public attribute of ``minigrad`` itself and every public ``Tensor``
  method has an entry (a heading holding its name in code) in api.md, under the section of a
  module that exports it; and every entry names something that exists.
* In api.md, index.md and tutorial.md, a ```python block that prints must be followed by a
  ```text block holding exactly what it printed (the blocks run in order in one namespace, in a
  temporary folder, as tests/test_docs.py runs them), so quoted numbers cannot drift from the
  code.
"""
import contextlib
import importlib
import io
import re
import types
from pathlib import Path

import pytest

import minigrad as mg

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api.md"
ROOT_MODULES = ["minigrad", "minigrad.serialization", "minigrad.nn", "minigrad.optim",
                "minigrad.data", "minigrad.gradcheck", "minigrad.viz", "minigrad.journey"]
HEADING = re.compile(r"^(#{2,4}) (.*)$", re.M)
CODE_SPAN = re.compile(r"`([^`]+)`")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def public_names(module) -> list:
    """``__all__``, or for a module without one (``minigrad`` itself, so far) every public
    attribute that is not a module."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name in dir(module) if not name.startswith("_")
            and not isinstance(getattr(module, name), types.ModuleType)]


def documented_modules() -> dict:
    """Module name -> module: the roots and every module named in their ``__all__``."""
    modules, todo = {}, list(ROOT_MODULES)
    while todo:
        name = todo.pop(0)
        module = modules[name] = importlib.import_module(name)
        for attribute in getattr(module, "__all__", []):
            value = getattr(module, attribute)
            if isinstance(value, types.ModuleType) and value.__name__ not in modules:
                todo.append(value.__name__)
    return modules


def tensor_attributes() -> list:
    return sorted(name for name in dir(mg.Tensor) if not name.startswith("_"))


def api_entries() -> dict:
    """Section ("minigrad.nn", "Tensor", ...) -> the names its entries document.

    A section is a level-2 heading naming a module (or Tensor) in code; an entry is a deeper
    heading with names in code (``Tensor.max(axis=None, ...)`` documents ``max``)."""
    sections, current = {}, None
    for level, title in HEADING.findall(API.read_text()):
        spans = CODE_SPAN.findall(title)
        if level == "##":
            current = spans[0] if spans else None
            if current is not None:
                sections.setdefault(current, set())
        elif current is not None:
            for span in spans:
                sections[current].add(span.split("(")[0].strip().split(".")[-1])
    return sections


def test_api_sections_cover_every_module():
    sections = api_entries()
    missing = [name for name in documented_modules() if name not in sections]
    assert not missing, f"docs/api.md has no section for {missing}"
    assert "Tensor" in sections


def test_every_public_name_has_an_entry():
    sections = api_entries()
    modules = documented_modules()
    missing = []
    for module_name, module in modules.items():
        for name in public_names(module):
            value = getattr(module, name)
            homes = [other for other, m in modules.items()
                     if other == module_name or getattr(m, name, None) is value]
            if not any(name in sections.get(home, ()) for home in homes):
                missing.append(f"{module_name}.{name}")
    missing += [f"Tensor.{name}" for name in tensor_attributes()
                if name not in sections["Tensor"]]
    assert not missing, f"docs/api.md lacks an entry for: {', '.join(missing)}"


def test_every_entry_names_something_real():
    modules = documented_modules()
    stale = []
    for section, names in api_entries().items():
        for name in names:
            if section == "Tensor":
                real = hasattr(mg.Tensor, name)
            else:
                real = hasattr(modules[section], name)
            if not real:
                stale.append(f"{section}: {name}")
    assert not stale, f"docs/api.md documents names that do not exist: {stale}"


def test_entry_parsing_sees_signatures_and_groups():
    entries = api_entries()
    assert {"Linear", "Sequential"} <= entries["minigrad.nn"]
    assert {"max", "min", "T", "reshape", "view"} <= entries["Tensor"]
    assert {"float16", "float64", "bool_"} <= entries["minigrad"]


# --------------------------------------------------------------------------- shown output


def run_and_compare(path: Path) -> list:
    """Run the file's python blocks in order; return (block number, printed, shown) for each
    block whose printed output differs from the text block after it."""
    import matplotlib
    matplotlib.use("Agg")
    text = path.read_text()
    blocks = list(FENCE.finditer(text))
    namespace = {"__name__": f"doc:{path.name}"}
    mismatches = []
    for i, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block.group(2), f"{path.name}[block {i}]", "exec"), namespace)
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        follows = (after is not None and after.group(1) == "text"
                   and not text[block.end():after.start()].strip())
        shown = after.group(2) if follows else ""
        if printed.getvalue().strip() != shown.strip() and (printed.getvalue().strip() or follows):
            mismatches.append((i, printed.getvalue(), shown))
    return mismatches


@pytest.mark.parametrize("name", ["api.md", "index.md", "tutorial.md", "performance.md"])
def test_shown_output_is_what_the_code_prints(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mismatches = run_and_compare(DOCS / name)
    report = "\n".join(f"block {i} printed:\n{printed}\nbut the page shows:\n{shown}"
                       for i, printed, shown in mismatches)
    assert not mismatches, f"docs/{name}: shown output is stale\n{report}"
