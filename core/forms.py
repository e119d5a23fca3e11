"""What the editors' formsets share."""

from django import forms


def hidden_field_problems(*formsets) -> list[str]:
    """The errors no widget shows: those of a formset as a whole (too many forms) and of its
    hidden fields (a key, the pillar or group a row belongs to), as sentences for the page's
    list of problems."""
    problems = [str(message) for formset in formsets for message in formset.non_form_errors()]
    for formset in formsets:
        for form in formset.forms:
            for name, field in form.fields.items():
                if field.widget.is_hidden and name in form.errors:
                    value = str(form.data.get(form.add_prefix(name), ""))
                    shown = value if len(value) <= 40 else value[:40] + "…"
                    problems += [f"{name.capitalize()} “{shown}”: {m}" for m in form.errors[name]]
    return problems


def key_field() -> forms.SlugField:
    """The hidden key of an editor's row: a slug as long as the models' keys."""
    return forms.SlugField(max_length=60, widget=forms.HiddenInput)


class RowLabels:
    """Mixin for a form drawn as one row of an editor's table: the column header is the only visible
    label, so each control is named for screen readers as "<field>, row <n>"."""

    fields: dict[str, forms.Field]
    prefix: str | None

    def __getitem__(self, name):
        # At render, not in __init__: a formset adds its Delete and Order fields after that.
        field = self.fields[name]
        if not field.widget.is_hidden and "aria-label" not in field.widget.attrs:
            row = self.prefix.rsplit("-", 1)[-1] if self.prefix else ""
            suffix = f", row {int(row) + 1}" if row.isdigit() else ""
            field.widget.attrs["aria-label"] = f"{field.label or name}{suffix}"
        return super().__getitem__(name)  # type: ignore[misc]
