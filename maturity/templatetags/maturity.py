"""Scores are stored at full precision and shown with one decimal."""

from django import template

register = template.Library()


@register.filter
def score(value):
    return "—" if value is None or value == "" else f"{float(value):.1f}"


@register.filter
def signed(value):
    return "—" if value is None else f"{float(value):+.1f}"


@register.filter
def percent(value):
    return "—" if value is None else f"{float(value) * 100:.0f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
