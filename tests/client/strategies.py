"""Hypothesis strategies for the generated types: any value a field of the contract may hold."""

from __future__ import annotations

import dataclasses
import datetime
import typing

from hypothesis import strategies as st
from partner_client.generated import types

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("&<>'\"\t"),
               max_size=12)


def values_of(type_) -> st.SearchStrategy:
    """Any value of a generated field type (optional ones sometimes left out)."""
    if dataclasses.is_dataclass(type_):
        hints = typing.get_type_hints(type_, vars(types))
        return st.builds(type_, **{f.name: values_of(hints[f.name]) for f in dataclasses.fields(type_)})
    args = [a for a in typing.get_args(type_) if a is not type(None)]
    if args and type(None) in typing.get_args(type_):
        return st.none() | values_of(args[0])
    if typing.get_origin(type_) is list:
        return st.lists(values_of(args[0]), min_size=1, max_size=3)
    if isinstance(type_, type) and issubclass(type_, types.StrEnum):
        return st.sampled_from(list(type_))
    return {str: TEXT, int: st.integers(1, 2**31 - 1), bool: st.booleans(),
            datetime.date: st.dates(), datetime.datetime: st.datetimes()}[type_]
