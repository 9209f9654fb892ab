"""Plain-text tables for the gradient-check reports (no dependency beyond the standard library)."""
from __future__ import annotations


def format_number(value, digits: int = 6) -> str:
    """A float in a short, aligned-friendly form: 0.34, -2.5, 1.2e-09; ints and text as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    if value != value:
        return "nan"
    return f"{value:.{digits}g}"


def format_table(headers, rows, indent: str = "  ") -> str:
    """Left-aligned columns separated by two spaces; every cell is turned into text first."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [indent + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in cells]
    return "\n".join(lines)
