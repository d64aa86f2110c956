"""Quantities are read by the client library's parser; repeated strings are parsed once, and what is not
a quantity is still refused every time (never remembered as a value)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kubernetes.utils import parse_quantity as library_parse_quantity

from tools.contracts.kube import quantity as quantities
from tools.contracts.kube.quantity import parse_quantity, quantity


@pytest.mark.parametrize("text", ["250m", "512Mi", "2", "1e3", "1.5Gi", "100k", "0.5"])
def test_the_library_decides(text: str) -> None:
    assert parse_quantity(text) == library_parse_quantity(text)
    assert parse_quantity(text) == parse_quantity(text)
    assert quantity(text) == float(library_parse_quantity(text))


def test_numbers_as_well_as_strings() -> None:
    assert parse_quantity(3) == Decimal(3)
    assert quantity(0.25) == 0.25


def test_repeated_strings_are_parsed_once() -> None:
    quantities._parsed_string.cache_clear()
    for _ in range(1000):
        parse_quantity("750m")
    info = quantities._parsed_string.cache_info()
    assert info.misses == 1 and info.hits == 999


@pytest.mark.parametrize("bad", ["", "abc", "12Qi", "1..2"])
def test_what_is_not_a_quantity_is_refused_every_time(bad: str) -> None:
    for _ in range(2):
        with pytest.raises(ValueError):
            parse_quantity(bad)
        assert quantity(bad) == 0.0
    assert quantity(None) == 0.0 and quantity({"cpu": "1"}) == 0.0


def test_hostile_variety_costs_bounded_memory() -> None:
    quantities._parsed_string.cache_clear()
    for number in range(quantities._REMEMBERED * 2):
        parse_quantity(f"{number}m")
    assert quantities._parsed_string.cache_info().currsize == quantities._REMEMBERED
