import pytest

from index.formats.dates import parse_date, parse_date_line


@pytest.mark.parametrize("line,iso", [
    ("December 02, 2024", "2024-12-02"),
    ("Dec. 2, 2024", "2024-12-02"),
    ("2 December 2024", "2024-12-02"),
    ("Monday, December 2, 2024 10:15 GMT", "2024-12-02"),
    ("Published: 2024-12-02", "2024-12-02"),
    ("**December 02, 2024**", "2024-12-02"),
])
def test_date_lines(line, iso):
    assert parse_date_line(line) == iso


@pytest.mark.parametrize("line", [
    "Rebels took the town on December 1, 2024, the monitor said.",  # a sentence, not a date line
    "February 30, 2024",  # no such day
    "",
])
def test_not_date_lines(line):
    assert parse_date_line(line) is None


@pytest.mark.parametrize("value,iso", [
    ("2022/06/16", "2022-06-16"),
    ("2024-12-02T10:15:00Z", "2024-12-02"),
    ("June 16, 2022", "2022-06-16"),
    ("not a date", None),
    (None, None),
])
def test_parse_date(value, iso):
    assert parse_date(value) == iso
