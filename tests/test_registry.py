"""The registry of record types is complete, true to the models, and every consumer covers it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils.module_loading import import_string

from tracker import editors, history, models, registry, synthetic
from tracker.api import views
from tracker.api.serializers import StatementSerializer
from tracker.exports.files import record_tables, table_for_model

RECORD_TYPES = registry.RECORD_TYPES
BY_KEY = pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda rt: rt.key)


def test_every_model_of_the_app_is_declared():
    declared = {
        *(rt.model for rt in RECORD_TYPES),
        *registry.LINK_MODELS,
        *registry.SUPPORT_MODELS,
        *registry.LOG_MODELS,
    }
    # Statement's "what it concerns" tables are created by Django for its many-to-many fields.
    auto_created = {m for m in apps.get_app_config("tracker").get_models() if m._meta.auto_created}
    assert set(apps.get_app_config("tracker").get_models()) - auto_created == declared


def test_names_are_unique():
    for attribute in ("key", "resource", "csv_file", "model"):
        values = [getattr(rt, attribute) for rt in RECORD_TYPES]
        assert len(set(values)) == len(values), attribute


@BY_KEY
def test_citation_foreign_key_points_at_the_type(record_type):
    if not record_type.cited:
        targets = [models.Citation._meta.get_field(name) for name in models.CITATION_TARGETS]
        assert not any(f.related_model is record_type.model for f in targets)
        return
    field = models.Citation._meta.get_field(record_type.citation_fk)
    assert field.related_model is record_type.model


def test_citation_targets_of_the_model_are_the_cited_types():
    assert set(models.CITATION_TARGETS) == {rt.citation_fk for rt in registry.cited()}


@BY_KEY
def test_about_relation_points_at_the_type(record_type):
    if record_type.about is None:
        assert record_type is registry.STATEMENT or record_type is registry.SOURCE
        return
    field = models.Statement._meta.get_field(record_type.about)
    assert (field.many_to_many, field.related_model) == (True, record_type.model)


@BY_KEY
def test_link_table_points_at_the_type(record_type):
    links = record_type.links
    if links is None:
        return
    fk = links.model._meta.get_field(links.fk)
    assert (fk.related_model, fk.remote_field.related_name) == (
        record_type.model,
        links.related_name,
    )
    assert links.model._meta.get_field("actor").related_model is models.Actor


@BY_KEY
def test_search_fields_exist(record_type):
    from django.db.models.constants import LOOKUP_SEP

    for path in record_type.search_fields:
        model = record_type.model
        *relations, last = path.split(LOOKUP_SEP)
        for name in relations:
            model = model._meta.get_field(name).related_model
        kind = model._meta.get_field(last).get_internal_type()
        assert kind in ("CharField", "TextField", "JSONField"), path


@BY_KEY
def test_the_admin_registers_the_declared_class(record_type):
    assert type(admin.site.get_model_admin(record_type.model)) is import_string(record_type.admin)


@BY_KEY
def test_the_api_routes_the_resource(record_type):
    viewset = views.VIEWSETS[record_type]
    assert viewset.queryset.model is record_type.model
    assert viewset.serializer_class.Meta.model is record_type.model
    assert viewset.filterset_class._meta.model is record_type.model
    assert viewset.filterset_class.search_fields == record_type.search_fields
    assert reverse(f"api:{record_type.api_basename}-list") == f"/api/v1/{record_type.resource}/"


@BY_KEY
def test_the_api_writes_the_types_links_and_rows(record_type):
    serializer = views.VIEWSETS[record_type].serializer_class
    expected = {
        *(("links",) if record_type.links else ()),
        *(("citations",) if record_type.cited else ()),
        *(rows.related_name for rows in record_type.rows),
    }
    assert set(serializer.link_fields.values()) == expected


def test_the_api_writes_every_about_relation():
    assert set(StatementSerializer.about_fields) == set(registry.about_relations())


@BY_KEY
def test_history_follows_the_types_link_rows(record_type):
    follow = history.follow_relations()
    expected = (
        *((record_type.links.related_name,) if record_type.links else ()),
        *(("citations",) if record_type.cited else ()),
        *(rows.related_name for rows in registry.RECORD_ROWS if record_type.key in rows.targets),
    )
    assert follow[record_type.model] == expected
    if record_type.links:
        assert follow[record_type.links.model] == (record_type.links.fk,)


@BY_KEY
def test_editors_may_change_the_type_and_its_links(record_type):
    codenames = editors.role_codenames("editor")
    for model in (record_type.model, *((record_type.links.model,) if record_type.links else ())):
        assert f"change_{model._meta.model_name}" in codenames


@BY_KEY
def test_exports_write_the_declared_files(record_type):
    assert table_for_model(record_type.model).name == record_type.csv_file
    if record_type.links:
        assert table_for_model(record_type.links.model).name == record_type.links.csv_file


def test_exports_and_imports_have_one_record_file_per_type():
    # The import reads the files the export writes (tracker.imports.reading).
    assert [table.name for table in record_tables()] == [rt.csv_file for rt in RECORD_TYPES]


@BY_KEY
def test_synthetic_data_plans_the_type(record_type):
    plan = synthetic.planned(10_000)
    expected = (
        10_000
        if record_type is registry.STATEMENT
        else max(record_type.synthetic_minimum, round(10_000 * record_type.synthetic_ratio))
    )
    assert plan[record_type.key] == expected


def test_record_rows_point_at_their_types():
    for rows in registry.RECORD_ROWS:
        for key in rows.targets:
            record_type = next(rt for rt in RECORD_TYPES if rt.key == key)
            fk = rows.model._meta.get_field(key)
            assert (fk.related_model, fk.remote_field.related_name) == (
                record_type.model,
                rows.related_name,
            )
            assert rows in record_type.rows
        assert table_for_model(rows.model).name == rows.csv_file


def test_record_rows_fields_are_fields_of_their_model():
    for rows in registry.RECORD_ROWS:
        names = {field.name for field in rows.model._meta.get_fields()}
        assert [name for name in rows.fields if name not in names] == []


def test_lookups_find_each_type():
    for rt in RECORD_TYPES:
        assert (
            registry.for_model(rt.model),
            registry.for_name(rt.name),
            registry.for_resource(rt.resource),
        ) == (rt, rt, rt)
