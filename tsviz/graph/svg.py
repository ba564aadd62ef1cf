"""Graphviz's SVG, made safe to put into the page and the report: only drawing elements and attributes survive.

Every label in a graph may come from an upload (a node kind, a value name, a module path). DOT quotes them
and `dot` escapes them, but the SVG is still inserted as HTML, so it is rebuilt from an allow-list here: no
<a>, no scripts or foreign elements, no event handlers, no references outside the document. The tooltips
Graphviz hangs on <a xlink:title> become plain SVG <title> elements.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_ELEMENTS = {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "circle", "rect", "line", "text",
             "tspan", "defs", "linearGradient", "radialGradient", "stop"}
_ATTRIBUTES = {"id", "class", "transform", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx",
               "cy", "r", "rx", "ry", "d", "points", "fill", "fill-opacity", "stroke", "stroke-width",
               "stroke-opacity", "stroke-dasharray", "opacity", "font-family", "font-size", "font-weight",
               "font-style", "text-anchor", "text-decoration", "offset", "stop-color", "stop-opacity",
               "gradientUnits", "gradientTransform", "preserveAspectRatio", "dominant-baseline"}
_LOCAL_URL = re.compile(r"url\(#[\w.-]+\)")
_SAFE_VALUE = re.compile(r"[^<>]*")


def sanitize_svg(svg: str) -> str:
    """The drawing of `svg` and nothing else (see the module's note); raises ValueError if it is not SVG."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("no <svg> element")
    parser = ET.XMLParser()
    try:
        root = ET.fromstring(svg[start:], parser=parser)
    except ET.ParseError as e:
        raise ValueError(f"not well-formed SVG ({e})") from None
    if _local(root.tag) != "svg":
        raise ValueError("the root element is not <svg>")
    return ET.tostring(_clean(root), encoding="unicode", short_empty_elements=True)


def _clean(element: ET.Element) -> ET.Element:
    tag = _local(element.tag)
    if tag == "a":  # a link: its drawing stays, as a group, and its tooltip becomes a <title>
        out = ET.Element("g")
        tooltip = element.get(f"{{{XLINK_NS}}}title") or element.get("title")
        if tooltip:
            ET.SubElement(out, "title").text = tooltip
    else:
        out = ET.Element(tag, {name: value for name, value in element.attrib.items() if _allowed(name, value)})
    if tag == "svg":
        out.set("xmlns", SVG_NS)
    out.text = element.text
    for child in element:
        if _local(child.tag) in _ELEMENTS or _local(child.tag) == "a":
            kept = _clean(child)
            kept.tail = child.tail
            out.append(kept)
    return out


def _allowed(name: str, value: str) -> bool:
    if name not in _ATTRIBUTES or not _SAFE_VALUE.fullmatch(value):
        return False
    lowered = value.lower()
    if "url(" in lowered:
        return bool(_LOCAL_URL.fullmatch(value.strip()))
    return "javascript:" not in lowered and "expression(" not in lowered


def _local(tag: object) -> str:
    """The element's name without its namespace; "" for comments and processing instructions."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith(f"{{{SVG_NS}}}") or not tag.startswith("{") else ""
