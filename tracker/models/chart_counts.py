"""Counts of published records per year, kept by the database as records are written."""

from __future__ import annotations

from django.db import models


class ChartCount(models.Model):
    """A change to the number of published records in one group of a chart.

    Rows are written by database triggers (:mod:`tracker.chart_counts`), never by
    the tracker's code: a group's count is the sum of its rows' ``n``. A write
    adds a row rather than updating a group's total, so that writers never
    wait on each other or deadlock over a shared counter; reading the charts
    sums the rows and, once there are many, merges them.
    """

    #: The record type's key (``registry.RecordType.key``): ``statement``, ``arms_deal``.
    record_type = models.CharField(max_length=40)
    #: The year of the date that places the record on the timeline; null if undated.
    year = models.IntegerField(null=True)
    #: That date's precision (``tracker.dates.Precision``).
    precision = models.PositiveSmallIntegerField(null=True)
    #: The value the chart stacks by (a statement's kind, an exercise's domain).
    category = models.CharField(max_length=40)
    #: For charts of values (arms deals): the value's currency and estimate flag.
    currency = models.CharField(max_length=3, default="", blank=True)
    estimate = models.BooleanField(default=False)
    #: Records added to the group (negative: taken out of it).
    n = models.BigIntegerField()
    #: Of those, records giving a value, and the sum of their values.
    valued = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=24, decimal_places=2, null=True)

    class Meta:
        indexes = [models.Index(fields=["record_type"], name="chart_count_type")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.year} {self.category}: {self.n:+d}"
