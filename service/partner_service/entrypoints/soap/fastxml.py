"""Faster reading and writing of the contract's complex types, same XML and objects as spyne.

spyne's generic ``complex_from_element`` / ``complex_to_parent`` look up class attributes,
run default factories and step coroutines for every element: for a batch, a large share of
the request's CPU (bench/README.md). The body has already been checked against the
schema (``validate_body``), so reading only has to route children to their members; what
the members hold is still parsed by spyne's own (hardened) ``from_element``, except plain
text, which spyne would hand over unchanged anyway. Writing emits
the same elements spyne would, with the simple values of our answers (text, integers,
booleans, enumerations) written directly. Any type outside what is compiled here goes
through spyne unchanged; ``tests/integration/test_fastxml.py`` compares both byte for byte.
"""

from __future__ import annotations

from lxml import etree
from spyne.model import Boolean, ComplexModelBase, Integer, Unicode
from spyne.model.binary import ByteArray, File
from spyne.model.complex import XmlAttribute, XmlData
from spyne.model.enum import EnumBase

from .spyne_internals import has_alternative_types, tag_body_as, text_reader

_TEXT, _INTEGER, _BOOLEAN, _COMPLEX, _OTHER = "text", "integer", "boolean", "complex", "other"


def _plain(protocol, cls) -> bool:
    """A complex type with only element members, no inheritance, defaults or read-only parts."""
    if not issubclass(cls, ComplexModelBase) or getattr(cls, "__extends__", None) is not None:
        return False
    attrs = protocol.get_cls_attrs(cls)
    if (tag_body_as(attrs) is not None or attrs.sub_name is not None or attrs.sub_ns is not None
            or has_alternative_types(cls)):
        return False
    for member in cls.get_flat_type_info(cls).values():
        member_attrs = protocol.get_cls_attrs(member)
        if (issubclass(member, (XmlAttribute, XmlData, ByteArray, File)) or member_attrs.read_only
                or member_attrs.exc or member_attrs.default is not None
                or member_attrs.default_factory is not None):
            return False
    return True


def _simple_kind(protocol, member) -> str:
    attrs = protocol.get_cls_attrs(member)
    if getattr(attrs, "str_format", None) is not None or getattr(attrs, "format", None) is not None:
        return _OTHER
    if issubclass(member, EnumBase) or issubclass(member, Unicode):
        return _TEXT
    if issubclass(member, Boolean):
        return _BOOLEAN
    if issubclass(member, Integer):
        return _INTEGER
    return _OTHER


class FastComplexXml:
    """Mixin for a spyne XML protocol (before it in the bases)."""

    fast_complex_xml = True

    def _fast_plan(self, cls, cache_name: str, build):
        cache = self.__dict__.setdefault(cache_name, {})
        plan = cache.get(cls)
        if plan is None:
            plan = cache[cls] = build(cls) if self.fast_complex_xml and _plain(self, cls) else False
        return plan

    # --- reading --------------------------------------------------------------------------

    def _plain_text(self, member) -> bool:
        """A text member spyne reads as the element's text unchanged (``''`` when empty)."""
        return (issubclass(member, Unicode) and not self.get_cls_attrs(member).empty_is_none
                and text_reader(self, member) == self.unicode_from_bytes
                and self.validator is not self.SOFT_VALIDATION)

    def _reader(self, cls):
        members = cls.get_flat_type_info(cls)
        routes = {key: (key, member, self.get_cls_attrs(member).max_occurs > 1, self._plain_text(member))
                  for key, member in members.items()}
        return (cls.__orig__ or cls), dict.fromkeys(members), routes

    def complex_from_element(self, ctx, cls, elt):
        plan = self._fast_plan(cls, "_fast_readers", self._reader)
        if not plan:
            return super().complex_from_element(ctx, cls, elt)
        target, empty, routes = plan
        inst = target.__new__(target)
        values = inst.__dict__
        values.update(empty)
        for child in elt:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            route = routes.get(tag.rsplit("}", 1)[-1])
            if route is None:
                continue
            key, member, repeated, plain_text = route
            if plain_text and not child.attrib and not len(child):
                value = child.text or ""  # no xsi:nil or xsi:type to interpret
            else:
                value = self.from_element(ctx, member, child)
            if repeated:
                if values[key] is None:
                    values[key] = []
                values[key].append(value)
            else:
                values[key] = value
        return inst

    # --- writing --------------------------------------------------------------------------

    def _writer(self, cls):
        namespace = cls.get_namespace()
        plan = []
        for key, member in cls.get_flat_type_info(cls).items():
            attrs = member.Attributes
            sub_ns = attrs.sub_ns if attrs.sub_ns is not None else namespace
            sub_name = attrs.sub_name if attrs.sub_name is not None else key
            kind = _COMPLEX if _plain(self, member) and self.get_cls_attrs(member).prot is None \
                else _simple_kind(self, member)
            plan.append((key, member, sub_ns, sub_name, f"{{{sub_ns}}}{sub_name}" if sub_ns else sub_name,
                         kind, attrs.max_occurs > 1, attrs.min_occurs > 0))
        return plan

    def complex_to_parent(self, ctx, cls, inst, parent, ns, name=None, add_type=False, **kwargs):
        plan = self._fast_plan(cls, "_fast_writers", self._writer)
        if not plan or add_type or not isinstance(parent, etree._Element):
            return super().complex_to_parent(ctx, cls, inst, parent, ns, name, add_type=add_type, **kwargs)
        if name is None:
            name = cls.get_type_name()
        element = etree.SubElement(parent, f"{{{ns}}}{name}" if ns is not None else name)
        inst = cls.get_serialization_instance(inst)
        for key, member, sub_ns, sub_name, tag, kind, repeated, required in plan:
            value = getattr(inst, key, None)
            if repeated and value is not None:
                for item in value:
                    self._write_member(ctx, member, item, element, sub_ns, sub_name, tag, kind)
            elif value is not None or required:
                self._write_member(ctx, member, value, element, sub_ns, sub_name, tag, kind)
        return None

    def _write_member(self, ctx, member, value, element, sub_ns, sub_name, tag, kind) -> None:
        if kind == _TEXT and type(value) is str:
            etree.SubElement(element, tag).text = value
        elif kind == _INTEGER and type(value) is int:
            etree.SubElement(element, tag).text = str(value)
        elif kind == _BOOLEAN and type(value) is bool:
            etree.SubElement(element, tag).text = "true" if value else "false"
        elif kind == _COMPLEX and value is not None:
            self.complex_to_parent(ctx, member, value, element, sub_ns, sub_name)
        else:
            self.to_parent(ctx, member, value, element, sub_ns, sub_name)


_EMPTY: dict[type, dict | None] = {}


def new(cls, **values):
    """``cls(**values)`` without spyne's per-member ``__init__`` work (a fifth of a 200-staff
    answer's CPU): the same attributes, every member not given set to None. Types whose
    members have defaults are built by spyne as before."""
    empty = _EMPTY.get(cls)
    if empty is None:
        members = cls.get_flat_type_info(cls)
        plain = all(m.Attributes.default is None and m.Attributes.default_factory is None
                    for m in members.values())
        empty = _EMPTY[cls] = dict.fromkeys(members) if plain else {}
    if not empty:
        return cls(**values)
    inst = cls.__new__(cls)
    inst.__dict__.update(empty)
    inst.__dict__.update(values)
    return inst
