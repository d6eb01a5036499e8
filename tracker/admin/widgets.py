"""Form widgets of the editors' admin."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join


class VocabularyInput(forms.TextInput):
    """A text box that suggests the values in use (an HTML ``datalist``); a new one may be typed.

    The model's ``clean`` refuses a variant of a value in use (other case or
    spacing), so a vocabulary grows only by deliberate additions.
    """

    def __init__(self, values: list[str], attrs=None):
        super().__init__(attrs)
        self.values = values

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or name}-values"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off"}
        box = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">', ((v,) for v in self.values))
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)
