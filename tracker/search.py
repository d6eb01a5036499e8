"""Case-insensitive search over a record's own texts and its linked records' names.

``icontains`` on a column of the searched table is what the trigram indexes
(migrations 0002 and 0004) serve. A search field across a relation
(``speaker__name``) written the plain way adds a join, and an ``OR`` whose
arms lie in two tables cannot be answered from indexes: PostgreSQL then
reads every row. Here such a field becomes a condition on the searched
table's own column, ``speaker_id = ANY(ARRAY(SELECT id FROM actor WHERE
...))``: the array is computed once, and every arm of the ``OR`` is an index
condition, so the planner combines them in a bitmap scan. The rows matched
are the same as the plain ``icontains``; on other databases the condition is
the equivalent ``IN (subquery)``.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, Model, Q, Subquery
from django.db.models.constants import LOOKUP_SEP


class AnyOf(Expression):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL, ``column IN (subquery)`` elsewhere."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, queryset):
        super().__init__(output_field=BooleanField())
        self.column = F(column)
        # The linked model's default ordering means nothing in a set of ids.
        self.subquery = Subquery(queryset.order_by())

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        params = (*column_params, *subquery_params)
        if connection.vendor == "postgresql":
            # ARRAY(...) makes the subquery an init plan evaluated once, whose
            # result an index scan on the column can take as its condition.
            return f"{column_sql} = ANY(ARRAY{subquery_sql})", params
        return f"{column_sql} IN {subquery_sql}", params


def field_condition(model: type[Model], path: str, lookup: str, value) -> Q:
    """Rows of ``model`` whose ``path__lookup`` matches ``value``, on its own columns.

    A column of the table stays a plain condition; a path through a foreign
    key becomes ``key = ANY(ids of the matching linked rows)``; a to-many path
    becomes ``id = ANY(ids of the matching rows of this table)``. The rows are
    the same as Django's join would give, without the join or its duplicates.
    """
    first, _, rest = path.partition(LOOKUP_SEP)
    field = model._meta.get_field(first)
    if field.many_to_many or field.one_to_many:
        matching = model._default_manager.filter(**{f"{path}__{lookup}": value})
        return Q(AnyOf("pk", matching.values("pk")))
    if rest and (field.many_to_one or field.one_to_one):
        related = field.related_model._default_manager.filter(**{f"{rest}__{lookup}": value})
        return Q(AnyOf(field.attname, related.values("pk")))
    return Q(**{f"{path}__{lookup}": value})


def contains_any(model: type[Model], paths, term: str) -> Q:
    """Rows in which at least one of ``paths`` contains ``term`` (case-insensitively)."""
    condition = Q()
    for path in paths:
        condition |= field_condition(model, path, "icontains", term)
    return condition
