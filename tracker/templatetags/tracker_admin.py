"""Template tags of the tracker's admin pages."""

from __future__ import annotations

from django import template

from .. import registry

register = template.Library()


@register.simple_tag
def may_import(user, opts=None) -> bool:
    """Whether ``user`` may import records (of the model whose ``_meta`` is ``opts``, if given).

    Templates pass a model's options, never the class: a template calls a callable it is given.
    """
    from ..admin.imports import may_import as allowed

    if opts is None:
        return allowed(user)
    try:
        record_type = registry.for_model(opts.model)
    except KeyError:
        return False
    return allowed(user, [record_type])


@register.simple_tag
def may_review(user) -> bool:
    """Whether ``user`` may open the review list (a viewer, who changes nothing, may not)."""
    from ..admin.publication import reviewable_types

    return bool(reviewable_types(user))


@register.filter
def record_version(record) -> str:
    """The version token of ``record`` as shown (the deletion of several records carries each)."""
    from ..versions import record_version as version_of

    return version_of(record) or ""
