from django import template

register = template.Library()


@register.filter
def score0(value):
    return "—" if value is None else f"{float(value):.0f}"


@register.filter
def signed0(value):
    return "—" if value is None else f"{float(value):+.0f}"


@register.filter
def measure_value(value):
    """Raw metric values as people write them: 52.4, 3, strong."""
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return value


@register.filter
def keys(mapping):
    return ", ".join(mapping) if mapping else ""
