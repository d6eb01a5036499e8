"""The API's JSON renderer writes exactly the bytes DRF's renderer writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import typing
import uuid

import pytest
from django.utils.functional import lazy
from rest_framework import renderers as drf_renderers
from rest_framework import serializers
from rest_framework.settings import api_settings

from tracker import registry
from tracker.api.renderers import JSONRenderer
from tracker.api.serializers import DeletedRecordSerializer
from tracker.api.views import VIEWSETS

RESOURCES = [rt.resource for rt in registry.RECORD_TYPES]


def drf_bytes(data, media_type=None) -> bytes:
    return drf_renderers.JSONRenderer().render(data, media_type)


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES)
def test_a_whole_list_is_written_as_drf_writes_it(seeded, api, resource):
    response = api.get(f"/api/v1/{resource}/?page_size=500")

    assert response.status_code == 200
    assert len(response.data["results"]) > 0
    assert response.content == drf_bytes(response.data)


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES)
def test_a_record_is_written_as_drf_writes_it(seeded, api, resource):
    first = api.get(f"/api/v1/{resource}/?page_size=1").data["results"][0]

    response = api.get(first["api_url"])

    assert response.status_code == 200
    assert response.content == drf_bytes(response.data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/", 200),
        ("/api/v1/statements/", 200),
        ("/api/v1/changes/", 200),
        ("/api/v1/statements.csv?colour=red", 400),
        ("/api/v1/schema/?format=xml", 400),
    ],
)
def test_the_api_answers_through_this_renderer(api, path, status):
    response = api.get(path)

    assert (response.status_code, type(response.accepted_renderer)) == (status, JSONRenderer)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/statements/", "/api/v1/changes/", "/api/v1/deletions/"])
def test_lists_are_written_without_drf_renderer(seeded, api, monkeypatch, path):
    def refuse(*args, **kwargs):
        raise AssertionError("DRF's renderer was used")

    monkeypatch.setattr(drf_renderers.JSONRenderer, "render", refuse)

    assert api.get(path).status_code == 200


@pytest.mark.django_db
def test_an_unknown_path_is_answered_as_every_other_api_error(api):
    response = api.get("/api/v1/no-such-thing/")

    assert (response.status_code, response.content) == (404, b'{"detail":"Not found."}')


@pytest.mark.django_db
def test_an_error_body_is_written_as_drf_writes_it(api):
    response = api.get("/api/v1/statements/?colour=red")

    assert response.status_code == 400
    assert response.content == drf_bytes(response.data)


def test_every_character_is_escaped_as_drf_escapes_it():
    text = "".join(chr(code) for code in range(0x80)) + "\u2028\u2029é€😀\ufeff\U0010ffff"
    data = {"text": text, "list": [text, {"nested": text}], "empty": {}, "none": None}

    body = JSONRenderer().render(data)

    assert body == drf_bytes(data)
    assert b"\\u2028" in body and b"\\u2029" in body


def test_integers_booleans_and_tuples_are_written_as_drf_writes_them():
    data = {"numbers": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1], "flags": (True, False)}

    assert JSONRenderer().render(data) == drf_bytes(data)


def test_dates_times_and_lazy_text_go_through_drf_encoder():
    lazy_text = lazy(lambda: "Военно-морской флот", str)()
    data = {
        "at": dt.datetime(2020, 7, 1, 12, 30, 45, 123456, tzinfo=dt.UTC),
        "naive": dt.datetime(2020, 7, 1, 12, 30),
        "day": dt.date(2019, 12, 31),
        "time": dt.time(23, 59, 1, 500),
        "span": dt.timedelta(days=1, seconds=3),
        "key": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "label": lazy_text,
    }

    body = JSONRenderer().render(data)

    assert body == drf_bytes(data)
    assert b'"at":"2020-07-01T12:30:45.123456Z"' in body


@pytest.mark.parametrize(
    "data",
    [
        {1: "a key that is not text"},
        {"big": 2**64},
        {"amount": decimal.Decimal("0.00001")},
    ],
    ids=["integer key", "beyond 64 bits", "decimal as float"],
)
def test_what_orjson_writes_otherwise_is_written_by_drf(data):
    assert JSONRenderer().render(data) == drf_bytes(data)


def test_a_small_decimal_is_written_in_python_form():
    assert JSONRenderer().render({"amount": decimal.Decimal("0.00001")}) == b'{"amount":1e-05}'


def test_ascii_only_output_is_drf_output():
    class AsciiRenderer(JSONRenderer):
        ensure_ascii = True

    data = {"name": "Шойгу"}

    assert AsciiRenderer().render(data) == b'{"name":"\\u0428\\u043e\\u0439\\u0433\\u0443"}'


def test_a_dataclass_is_refused_as_drf_refuses_it():
    @dataclasses.dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        drf_bytes({"point": Point(1)})
    with pytest.raises(TypeError):
        JSONRenderer().render({"point": Point(1)})


def test_indented_output_is_drf_output():
    media_type = "application/json; indent=4"

    body = JSONRenderer().render({"a": [1, 2]}, media_type)

    assert body == drf_bytes({"a": [1, 2]}, media_type)
    assert body == b'{\n    "a": [\n        1,\n        2\n    ]\n}'


def test_text_that_is_not_unicode_fails_as_with_drf():
    with pytest.raises(UnicodeEncodeError):
        drf_bytes({"text": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"text": "\ud800"})


def test_no_body_is_empty():
    assert JSONRenderer().render(None) == b""


def all_fields(serializer: serializers.Serializer):
    """Every field of a serializer, nested serializers' and list or dict fields' children too."""
    for name, field in serializer.fields.items():
        yield from field_tree(name, field)


def field_tree(name: str, field: serializers.Field):
    yield name, field
    if isinstance(field, serializers.Serializer):
        for sub_name, sub in field.fields.items():
            yield from field_tree(f"{name}.{sub_name}", sub)
    child = getattr(field, "child", None) or getattr(field, "child_relation", None)
    if child is not None:
        yield from field_tree(f"{name}[]", child)


def may_give_a_float(field: serializers.Field) -> bool:
    if isinstance(field, serializers.FloatField | serializers.JSONField):
        return True
    if isinstance(field, serializers.DecimalField):
        return not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if isinstance(field, serializers.SerializerMethodField):
        method = getattr(field.parent, field.method_name)
        return typing.get_type_hints(method).get("return") not in (str, int, bool)
    return False


SERIALIZERS = [viewset.serializer_class for viewset in VIEWSETS.values()] + [
    DeletedRecordSerializer
]


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda s: s.__name__)
def test_no_api_field_gives_a_float(serializer_class):
    # orjson writes some floats in its own form ("1e-5" where DRF writes "1e-05"): a float
    # field would need the renderer to send its bodies to DRF's.
    floats = [name for name, field in all_fields(serializer_class()) if may_give_a_float(field)]

    assert floats == []


def test_the_float_check_sees_floats_in_lists_dicts_and_methods():
    class Floats(serializers.Serializer):
        values = serializers.ListField(child=serializers.FloatField())
        shares = serializers.DictField(child=serializers.DecimalField(9, 2, coerce_to_string=False))
        ratio = serializers.SerializerMethodField()
        label = serializers.SerializerMethodField()

        def get_ratio(self, obj) -> float:
            return 0.5

        def get_label(self, obj) -> str:
            return ""

    found = [name for name, field in all_fields(Floats()) if may_give_a_float(field)]

    assert found == ["values[]", "shares[]", "ratio"]
