"""The inventory CSV format: parse and validate, format, and work out what an import changes.

Pure: text in, values out. The whole file is validated before anything is decided, so a bad
file yields every bad line with its number and reason and no changes. The format is a contract
(design.md §5): header and column order are fixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

HEADER = (
    "sku",
    "urn",
    "condition",
    "language",
    "price",
    "quantity",
    "hidden",
    "comment",
    "notes",
    "grading_provider",
    "grading_score",
    "grading_number",
)
CONDITIONS = ("M", "NM", "EX", "GD", "LP", "PL", "PO")
MAX_SKU = 255
MAX_NOTES = 255
MAX_URN = 255
MAX_LANGUAGE = 64
GRADING_LIMITS = {"grading_provider": 64, "grading_score": 32, "grading_number": 64}
MAX_WHOLE = 2_147_483_647  # the INTEGER columns' bound on Postgres (price, quantity)


@dataclass(frozen=True)
class InventoryRow:
    """One inventory row, as stored in ``inventory_items``."""

    sku: str
    urn: str
    condition: str
    language: str
    price: int
    quantity: int
    hidden: bool = False
    comment: str | None = None
    notes: str | None = None
    grading_provider: str | None = None
    grading_score: str | None = None
    grading_number: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ParseResult:
    rows: tuple[InventoryRow, ...]
    errors: tuple[LineError, ...]


def parse_inventory(text: str) -> ParseResult:
    """Parse and validate a whole CSV text. Rows are returned only when there are no errors."""
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[LineError] = []
    rows: list[InventoryRow] = []
    try:
        header = next(reader)
    except StopIteration:
        return ParseResult((), (LineError(1, "file is empty; expected the header line"),))
    except csv.Error as exc:
        return ParseResult((), (_unreadable(1, exc),))
    header = [h.strip() for h in header]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if tuple(header) != HEADER:
        return ParseResult((), (LineError(1, f"header must be exactly: {','.join(HEADER)}"),))
    seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file cannot be split into records
            errors.append(_unreadable(line + 1, exc))
            break
        start, line = line + 1, reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        row, problems = _parse_record(record)
        errors.extend(LineError(start, p) for p in problems)
        if row is None:
            continue
        if row.sku in seen:
            errors.append(LineError(start, f"sku {row.sku!r} repeats line {seen[row.sku]}"))
            continue
        seen[row.sku] = start
        rows.append(row)
    if errors:
        return ParseResult((), tuple(errors))
    return ParseResult(tuple(rows), ())


def _unreadable(line: int, exc: csv.Error) -> LineError:
    return LineError(line, f"not readable as CSV from here ({exc}); is a quote left open?")


def _parse_record(record: list[str]) -> tuple[InventoryRow | None, list[str]]:
    problems: list[str] = []
    if len(record) != len(HEADER):
        return None, [f"expected {len(HEADER)} fields, found {len(record)}"]
    # Line breaks inside quoted fields are normalised to "\n" so an export reads back the same.
    cleaned = (c.replace("\r\n", "\n").replace("\r", "\n").strip() for c in record)
    cell = dict(zip(HEADER, cleaned, strict=True))
    # Postgres text cannot hold NUL: the import would fail half-way in the database.
    problems.extend(f"{name} contains a NUL character" for name in HEADER if "\0" in cell[name])
    sku = cell["sku"]
    if not sku:
        problems.append("sku is empty")
    elif len(sku) > MAX_SKU:
        problems.append(f"sku is longer than {MAX_SKU} characters")
    urn = cell["urn"]
    if not urn.startswith("urn:managem:") or len(urn) <= len("urn:managem:"):
        problems.append(f"urn {urn!r} is not shaped urn:managem:…")
    elif len(urn) > MAX_URN or any(ch.isspace() for ch in urn):
        problems.append("urn is too long or contains spaces")
    if cell["condition"] not in CONDITIONS:
        problems.append(f"condition {cell['condition']!r} is not one of {' '.join(CONDITIONS)}")
    if not cell["language"]:
        problems.append("language is empty")
    elif len(cell["language"]) > MAX_LANGUAGE:
        problems.append(f"language is longer than {MAX_LANGUAGE} characters")
    price = _whole(cell["price"], "price", problems, unit=" in pence")
    quantity = _whole(cell["quantity"], "quantity", problems)
    hidden_text = cell["hidden"].lower()
    if hidden_text not in ("true", "false", ""):
        problems.append(f"hidden {cell['hidden']!r} must be true or false")
    notes = cell["notes"] or None
    if notes is not None and len(notes) > MAX_NOTES:
        problems.append(f"notes are longer than {MAX_NOTES} characters")
    grading = {k: (cell[k] or None) for k in GRADING_LIMITS}
    given = [k for k, v in grading.items() if v is not None]
    if given and len(given) != len(grading):
        missing = [k for k in grading if grading[k] is None]
        problems.append(f"grading fields go together: {', '.join(missing)} missing")
    for key, limit in GRADING_LIMITS.items():
        value = grading[key]
        if value is not None and len(value) > limit:
            problems.append(f"{key} is longer than {limit} characters")
    if problems or price is None or quantity is None:
        return None, problems
    return (
        InventoryRow(
            sku=sku,
            urn=urn,
            condition=cell["condition"],
            language=cell["language"],
            price=price,
            quantity=quantity,
            hidden=hidden_text == "true",
            comment=cell["comment"] or None,
            notes=notes,
            grading_provider=grading["grading_provider"],
            grading_score=grading["grading_score"],
            grading_number=grading["grading_number"],
        ),
        [],
    )


def _whole(text: str, name: str, problems: list[str], unit: str = "") -> int | None:
    if not text:
        problems.append(f"{name} is empty")
        return None
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    if not (text.isascii() and text.isdigit()):
        negative = text.startswith("-") and text[1:].isascii() and text[1:].isdigit()
        kind = "negative" if negative else "not a whole number"
        problems.append(f"{name} {text!r} is {kind}; it must be an integer ≥ 0{unit}")
        return None
    value = int(text)
    if value > MAX_WHOLE:
        problems.append(f"{name} {text!r} is too large; it must be at most {MAX_WHOLE}{unit}")
        return None
    return value


def format_inventory(rows: Iterable[InventoryRow]) -> str:
    """The CSV text for ``rows``, sorted by sku, so export → import → export is byte-identical."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in sorted(rows, key=lambda r: r.sku):
        writer.writerow(
            [
                row.sku,
                row.urn,
                row.condition,
                row.language,
                str(row.price),
                str(row.quantity),
                "true" if row.hidden else "false",
                row.comment or "",
                row.notes or "",
                row.grading_provider or "",
                row.grading_score or "",
                row.grading_number or "",
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class ImportChanges:
    """What an import does: rows to insert, rows to update, and quantity deltas per sku."""

    inserts: tuple[InventoryRow, ...]
    updates: tuple[InventoryRow, ...]
    quantity_deltas: Mapping[str, int]
    price_changes: Mapping[str, int]
    unchanged: int


def import_changes(
    incoming: Iterable[InventoryRow],
    existing: Mapping[str, InventoryRow],
    *,
    replace_all: bool = False,
) -> ImportChanges:
    """Compare a parsed file with the stored rows. ``replace_all``: absent rows go to quantity 0."""
    inserts: list[InventoryRow] = []
    updates: list[InventoryRow] = []
    deltas: dict[str, int] = {}
    prices: dict[str, int] = {}
    unchanged = 0
    seen: set[str] = set()
    for row in incoming:
        seen.add(row.sku)
        old = existing.get(row.sku)
        if old is None:
            inserts.append(row)
            if row.quantity:
                deltas[row.sku] = row.quantity
            prices[row.sku] = row.price
        elif old != row:
            updates.append(row)
            if old.quantity != row.quantity:
                deltas[row.sku] = row.quantity - old.quantity
            if old.price != row.price:
                prices[row.sku] = row.price
        else:
            unchanged += 1
    if replace_all:
        for sku, old in sorted(existing.items()):
            if sku not in seen and old.quantity != 0:
                updates.append(replace(old, quantity=0))
                deltas[sku] = -old.quantity
    return ImportChanges(tuple(inserts), tuple(updates), deltas, prices, unchanged)
