"""The inventory CSV format: every validation rule, the line numbers, and the round trip."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncd.core.inventory import (
    HEADER,
    InventoryRow,
    format_inventory,
    import_changes,
    parse_inventory,
)

H = ",".join(HEADER)
GOOD = "s1,urn:managem:pokemon:set/base/card/1,NM,English,150,2,false,,,,,"


def test_good_file_parses() -> None:
    result = parse_inventory(f"{H}\n{GOOD}\n")
    assert result.errors == ()
    assert result.rows == (
        InventoryRow("s1", "urn:managem:pokemon:set/base/card/1", "NM", "English", 150, 2),
    )


def test_every_bad_line_is_reported_with_its_number() -> None:
    text = "\n".join(
        [
            H,
            GOOD,
            ",urn:managem:x,NM,English,1,1,false,,,,,",  # 3: empty sku
            "s3,urn:other:x,NM,English,1,1,false,,,,,",  # 4: urn shape
            "s4,urn:managem:x,NM-,English,1,1,false,,,,,",  # 5: condition
            "s5,urn:managem:x,NM,English,12.50,1,false,,,,,",  # 6: pence
            "s6,urn:managem:x,NM,English,1,-1,false,,,,,",  # 7: negative quantity
            "s7,urn:managem:x,NM,English,1,1,yes,,,,,",  # 8: hidden
            "s8,urn:managem:x,NM,English,1,1,false,,,PSA,10,",  # 9: grading partial
            "s1,urn:managem:x,NM,English,1,1,false,,,,,",  # 10: duplicate sku
            "s9,urn:managem:x,NM,English,1,1,false,," + "n" * 256 + ",,,",  # 11: notes
            "s10,urn:managem:x,NM",  # 12: field count
            "x" * 256 + ",urn:managem:x,NM,English,1,1,false,,,,,",  # 13: long sku
        ]
    )
    result = parse_inventory(text + "\n")
    assert result.rows == ()
    by_line = {e.line: e.reason for e in result.errors}
    assert sorted(by_line) == list(range(3, 14))
    assert "sku is empty" in by_line[3]
    assert "urn" in by_line[4]
    assert "condition 'NM-'" in by_line[5]
    assert "price '12.50'" in by_line[6] and "pence" in by_line[6]
    assert "negative" in by_line[7]
    assert "hidden 'yes'" in by_line[8]
    assert "grading_number missing" in by_line[9]
    assert "repeats line 2" in by_line[10]
    assert "notes" in by_line[11]
    assert "expected 12 fields" in by_line[12]
    assert "longer than 255" in by_line[13]


def test_wrong_header_is_refused() -> None:
    result = parse_inventory("sku,urn\n" + GOOD)
    assert [e.line for e in result.errors] == [1]


def test_quoted_multiline_comment_keeps_line_numbers() -> None:
    text = (
        f'{H}\ns1,urn:managem:a,NM,English,1,1,false,"two\nlines",,,,\n'
        "s2,bad,NM,English,1,1,false,,,,,\n"
    )
    result = parse_inventory(text)
    assert [e.line for e in result.errors] == [4]


def test_numbers_are_ascii_digits_within_the_integer_column() -> None:
    text = "\n".join(
        [
            H,
            "s1,urn:managem:x,NM,English,\u00b2,1,false,,,,,",  # 2: superscript two
            "s2,urn:managem:x,NM,English,1,\u0663,false,,,,,",  # 3: Arabic-Indic three
            "s3,urn:managem:x,NM,English,2147483648,1,false,,,,,",  # 4: past INTEGER
            "s4,urn:managem:x,NM,English,1,99999999999999999999,false,,,,,",  # 5: huge
            "s5,urn:managem:x,NM,English,2147483647,1,false,,,,,",  # 6: the largest allowed
        ]
    )
    result = parse_inventory(text + "\n")
    by_line = {e.line: e.reason for e in result.errors}
    assert sorted(by_line) == [2, 3, 4, 5]
    assert "price '\u00b2' is not a whole number" in by_line[2]
    assert "quantity '\u0663' is not a whole number" in by_line[3]
    assert "price '2147483648' is too large" in by_line[4] and "2147483647" in by_line[4]
    assert "quantity '99999999999999999999' is too large" in by_line[5]


def test_unclosed_quote_in_a_big_file_is_a_line_error() -> None:
    # The quote opened on line 2 swallows the rest of the file into one field, past the csv
    # module's field size limit.
    body = "".join(f"s{i},urn:managem:x/{i},NM,English,1,1,false,,,,,\n" for i in range(3000))
    text = f'{H}\ns,urn:managem:x,NM,English,1,1,false,"oops,,,,\n{body}'
    result = parse_inventory(text)
    assert result.rows == ()
    assert [e.line for e in result.errors] == [2]
    assert "quote" in result.errors[0].reason


def test_nul_character_is_refused() -> None:
    # Postgres text cannot hold NUL: the import would fail half-way in the database.
    result = parse_inventory(f"{H}\ns1,urn:managem:a,NM,English,1,1,false,a\x00b,,,,\n")
    assert [(e.line, e.reason) for e in result.errors] == [(2, "comment contains a NUL character")]


def test_replace_sets_absent_rows_to_zero() -> None:
    old = {
        "a": InventoryRow("a", "urn:managem:a", "NM", "English", 1, 3),
        "b": InventoryRow("b", "urn:managem:b", "NM", "English", 1, 0),
    }
    changes = import_changes([], old, replace_all=True)
    assert changes.quantity_deltas == {"a": -3}
    assert [r.sku for r in changes.updates] == ["a"]


rows = st.builds(
    InventoryRow,
    sku=st.text("abcXYZ-_0123456789 ,\"'", min_size=1, max_size=20).map(str.strip).filter(bool),
    urn=st.from_regex(r"urn:managem:pokemon:set/[a-z]{1,8}/card/[0-9]{1,3}", fullmatch=True),
    condition=st.sampled_from(["M", "NM", "EX", "GD", "LP", "PL", "PO"]),
    language=st.sampled_from(["English", "Japanese", "German"]),
    price=st.integers(0, 10**7),
    quantity=st.integers(0, 999),
    hidden=st.booleans(),
    comment=st.none()
    | st.text(st.characters(blacklist_characters="\r\0"), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool),
    notes=st.none() | st.text("abc ,\n", min_size=1, max_size=30).map(str.strip).filter(bool),
)


@given(st.lists(rows, max_size=15, unique_by=lambda r: r.sku))
def test_format_then_parse_round_trips(items: list[InventoryRow]) -> None:
    text = format_inventory(items)
    parsed = parse_inventory(text)
    assert parsed.errors == ()
    assert sorted(parsed.rows, key=lambda r: r.sku) == sorted(items, key=lambda r: r.sku)
    assert format_inventory(parsed.rows) == text
