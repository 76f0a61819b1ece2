"""Benchmark results: timed rows with ratios to a reference, and limit checks."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Target:
    """A limit on ``product median / reference median``, lower being faster."""

    max_ratio: float
    text: str


@dataclass
class Row:
    """One product's times in one case: seconds per item, one value per repeat."""

    case: str
    product: str
    unit: str
    seconds: list[float] = field(default_factory=list)
    reference: str | None = None
    target: Target | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class Check:
    """A measured value, one per repeat, and the limit its median must stay under."""

    case: str
    product: str
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    limit: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def met(self) -> bool | None:
        return None if self.limit is None else self.median < self.limit


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ratio(self, row: Row) -> float | None:
        """Return ``row``'s median over its reference's median, or None without one."""
        if row.reference is None:
            return None
        for other in self.rows:
            if other.case == row.case and other.product == row.reference:
                return row.median / other.median
        raise ValueError(f"No reference row {row.reference!r} in case {row.case!r}")

    def met(self, row: Row) -> bool | None:
        ratio = self.ratio(row)
        if row.target is None or ratio is None:
            return None
        return ratio <= row.target.max_ratio

    def to_json(self) -> dict[str, object]:
        rows = []
        for row in self.rows:
            rows.append(
                {
                    **asdict(row),
                    "median": row.median,
                    "ratio": self.ratio(row),
                    "met": self.met(row),
                }
            )
        checks = [
            {**asdict(check), "median": check.median, "met": check.met}
            for check in self.checks
        ]
        return {"rows": rows, "checks": checks, "notes": self.notes}
