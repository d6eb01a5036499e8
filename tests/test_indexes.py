"""Which fields an index reads in order (tracker.indexes)."""

from __future__ import annotations

from django.contrib.postgres.indexes import BTreeIndex, GinIndex
from django.db import models
from django.db.models import Q
from django.test.utils import isolate_apps

from tracker.indexes import index_leads, leads_an_index
from tracker.models import Citation, Exercise


@isolate_apps("tests")
def test_only_whole_table_b_tree_indexes_on_fields_lead():
    class Sample(models.Model):
        name = models.CharField(max_length=10)
        code = models.CharField(max_length=10, unique=True)
        year = models.IntegerField(db_index=True)
        tags = models.JSONField()
        flag = models.BooleanField()
        kind = models.CharField(max_length=10)

        class Meta:
            app_label = "tests"
            indexes = [
                models.Index(fields=["name", "id"], name="sample_name"),
                BTreeIndex(fields=["-kind"], name="sample_kind"),
                GinIndex(fields=["tags"], name="sample_tags"),
                models.Index(fields=["flag"], condition=Q(flag=True), name="sample_flag"),
                models.Index(models.functions.Upper("name"), name="sample_upper"),
            ]

        def __str__(self) -> str:
            return self.name

    assert index_leads(Sample) == [["name", "id"], ["kind"], ["id"], ["code"], ["year"]]


def test_a_field_leading_a_meta_index_leads_one():
    # Citation.footnote has no index of its own: the citations' order index leads with it.
    assert (
        leads_an_index(Citation, "footnote"),
        Citation._meta.get_field("footnote").db_index,
    ) == (
        True,
        False,
    )


def test_a_field_in_no_index_leads_none():
    assert leads_an_index(Exercise, "location") is False
