"""Tables of benchmark results, as plain text or Markdown."""

from __future__ import annotations

from bench.results import Results

_HEADERS = ("case", "product", "median", "ratio", "reference", "target", "met")
_CHECK_HEADERS = ("case", "product", "measure", "median", "limit", "met")


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _met_text(met: bool | None) -> str:
    if met is None:
        return ""
    return "yes" if met else "NO"


def _row_cells(results: Results) -> list[tuple[str, ...]]:
    cells: list[tuple[str, ...]] = []
    for row in results.rows:
        ratio = results.ratio(row)
        target = ""
        if row.target is not None:
            target = f"≤ {row.target.max_ratio:.3g} ({row.target.text})"
        cells.append(
            (
                row.case,
                row.product,
                f"{format_seconds(row.median)} {row.unit}",
                "" if ratio is None else f"{ratio:.3f}",
                row.reference or "(reference)",
                target,
                _met_text(results.met(row)),
            )
        )
    return cells


def _check_cells(results: Results) -> list[tuple[str, ...]]:
    return [
        (
            check.case,
            check.product,
            check.name,
            f"{check.median:.1f} {check.unit}",
            "" if check.limit is None else f"< {check.limit:g} {check.unit}",
            _met_text(check.met),
        )
        for check in results.checks
    ]


def _text_table(headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> str:
    widths = [
        max(len(line[column]) for line in [headers, *cells])
        for column in range(len(headers))
    ]
    lines = []
    for line in [headers, *cells]:
        lines.append(
            "  ".join(
                cell.ljust(width) for cell, width in zip(line, widths, strict=True)
            ).rstrip()
        )
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_table(headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |"
        for line in cells
    ]
    return "\n".join(lines)


def format_results(results: Results, *, markdown: bool = False) -> str:
    """Return the timing table, then the table of limit checks if there are any.

    ratio is the product's median over the reference's median: below 1 the
    product is faster, and 0.05 means 20 times as fast.
    """
    table = _markdown_table if markdown else _text_table
    parts = [table(_HEADERS, _row_cells(results))]
    if results.checks:
        parts.append(table(_CHECK_HEADERS, _check_cells(results)))
    parts.extend(results.notes)
    return "\n\n".join(parts)
