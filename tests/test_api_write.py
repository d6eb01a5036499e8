"""Writing through the API: access, validation through record_save, bad input."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api_factories import if_match, linked_exercise
from tests.factories import ActorFactory, ExerciseFactory, SourceFactory
from tracker import models

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(db):
    """China, Russia and a cited source to link to."""
    return (
        ActorFactory(slug="china", name="China"),
        ActorFactory(slug="russia", name="Russia"),
        SourceFactory(slug="kashin-2019", title="Kashin 2019"),
    )


#: The citation a new record needs (every fact cites its source).
CITED = [{"source": "kashin-2019", "footnote": 1}]


def exercise_body(**overrides):
    """A valid exercise as a client writes it: links by identifier."""
    body = {
        "slug": "tsentr-2019",
        "name": "Tsentr 2019",
        "domain": "combined",
        "start_date": "2019-09",
        "end_date": {"date": "2019-09-21", "precision": "day", "qualifier": ""},
        "participants": [
            {"actor": "russia", "role": "host", "contribution": "128,000 troops"},
            {"actor": "china", "role": "participant", "contribution": "1,600 troops"},
        ],
        "citations": [{"source": "kashin-2019", "footnote": 7, "locator": "p. 2"}],
    }
    body.update(overrides)
    return body


def test_anonymous_write_is_401(api, actors):
    response = api.post("/api/v1/exercises/", exercise_body(), format="json")

    assert (response.status_code, models.Exercise.objects.count()) == (401, 0)


def test_user_without_model_permission_cannot_write(db, actors):
    user = User.objects.create_user("reader", password="x")
    client = APIClient()
    client.force_authenticate(user)

    response = client.post("/api/v1/exercises/", exercise_body(), format="json")

    assert response.status_code == 403


def test_token_holder_with_permission_creates_with_links(editor_api, actors):
    response = editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    assert (
        response.status_code,
        [(p.actor.slug, p.role) for p in exercise.participations.all()],
        [(c.source.slug, c.footnote, c.locator) for c in exercise.citations.all()],
        exercise.fuzzy("start_date").display(),
    ) == (
        201,
        [("russia", "host"), ("china", "participant")],
        [("kashin-2019", 7, "p. 2")],
        "September 2019",
    )


def test_etag_of_a_create_answer_is_accepted_by_the_next_update(editor_api, actors):
    created = editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    response = editor_api.patch(
        "/api/v1/exercises/tsentr-2019/",
        {"region": "Central Asia"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert (response.status_code, response.json()["region"]) == (200, "Central Asia")


def test_session_login_can_write(editor_client, actors):
    response = editor_client.post(
        "/api/v1/exercises/", json.dumps(exercise_body()), content_type="application/json"
    )

    assert response.status_code == 201


def test_record_read_from_the_api_can_be_written_back(editor_api, actors):
    editor_api.post("/api/v1/exercises/", exercise_body(), format="json")
    body = editor_api.get("/api/v1/exercises/tsentr-2019/").json()

    url = "/api/v1/exercises/tsentr-2019/"
    response = editor_api.put(url, body, format="json", **if_match(editor_api, url))

    assert (response.status_code, response.json()["participants"]) == (200, body["participants"])


def test_patch_changes_only_the_given_fields(editor_api, actors):
    editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    response = editor_api.patch(
        "/api/v1/exercises/tsentr-2019/",
        {"region": "Central Asia"},
        format="json",
        **if_match(editor_api, "/api/v1/exercises/tsentr-2019/"),
    )

    assert (response.json()["region"], len(response.json()["participants"])) == (
        "Central Asia",
        2,
    )


def test_patch_replaces_participants_when_given(editor_api, actors):
    editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    response = editor_api.patch(
        "/api/v1/exercises/tsentr-2019/",
        {"participants": [{"actor": "china"}]},
        format="json",
        **if_match(editor_api, "/api/v1/exercises/tsentr-2019/"),
    )

    assert response.json()["participants"] == [
        {"actor": {"slug": "china", "name": "China"}, "role": "participant", "contribution": ""}
    ]


def test_changing_the_slug_is_refused(editor_api, actors):
    editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    response = editor_api.patch(
        "/api/v1/exercises/tsentr-2019/",
        {"slug": "renamed"},
        format="json",
        **if_match(editor_api, "/api/v1/exercises/tsentr-2019/"),
    )

    assert (response.status_code, list(response.json())) == (400, ["slug"])


def test_date_not_on_first_day_of_its_period_is_400_on_that_field(editor_api, actors):
    body = exercise_body(start_date={"date": "2019-09-16", "precision": "month"})

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, list(response.json())) == (400, ["start_date"])


def test_end_before_start_is_400_on_end_date(editor_api, actors):
    body = exercise_body(start_date="2019-09-16", end_date="2019-09-01")

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, list(response.json())) == (400, ["end_date"])


@pytest.mark.parametrize(
    "field, value",
    [
        ("start_date", "2019-02-30"),
        ("start_date", "yesterday"),
        ("start_date", 20190901),
        ("start_date", {"date": "2019", "precision": "week"}),
        ("start_date", {"date": "2019-01-01", "precision": {}}),
        ("start_date", {"date": "2019-01-01", "qualifier": ["end"]}),
        ("start_date", {"date": "2019", "when": "now"}),
        ("name", ["a list"]),
        ("name", "Tsentr\x00 2019"),
        ("domain", "space"),
        ("participants", [{"actor": "atlan tis"}]),
        ("participants", [{"actor": "chi\x00na"}]),
        ("participants", [{"actor": "china"}, {"actor": "china"}]),
        ("participants", "china"),
        ("citations", [{"source": "kashin-2019", "footnote": 0}]),
        ("citations", [{"source": "kashin-2019", "footnote": 2**63}]),
        ("citations", [{"source": "kashin-2019", "footnote": -3}]),
    ],
)
def test_bad_field_is_400_naming_it_and_stores_nothing(editor_api, actors, field, value):
    response = editor_api.post("/api/v1/exercises/", exercise_body(**{field: value}), format="json")

    assert (response.status_code, list(response.json()), models.Exercise.objects.count()) == (
        400,
        [field],
        0,
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("quantity", 2**64),
        ("quantity", -1),
        ("value", {"amount": "-5", "currency": "USD"}),
        ("value", {"amount": "1" * 30, "currency": "USD"}),
        ("percentage", "101"),
        ("percentage", "-0"),
        ("value", {"amount": "-0.00", "currency": "USD"}),
        ("supplier", "no body"),
    ],
)
def test_bad_arms_deal_number_or_link_is_400(editor_api, actors, field, value):
    body = {"slug": "deal", "title": "Deal", "category": "aircraft", "citations": CITED}

    response = editor_api.post("/api/v1/arms-deals/", {**body, field: value}, format="json")

    assert (response.status_code, list(response.json())) == (400, [field])


def test_value_without_currency_is_400_on_value(editor_api, actors):
    body = {
        "slug": "deal",
        "title": "Deal",
        "category": "aircraft",
        "value": {"amount": "5"},
        "citations": CITED,
    }

    response = editor_api.post("/api/v1/arms-deals/", body, format="json")

    assert response.json() == {"value": ["A value needs its currency."]}


def test_supplier_same_as_recipient_is_400(editor_api, actors):
    body = {
        "slug": "deal",
        "title": "Deal",
        "category": "aircraft",
        "supplier": "russia",
        "recipient": "russia",
        "citations": CITED,
    }

    response = editor_api.post("/api/v1/arms-deals/", body, format="json")

    assert (response.status_code, list(response.json())) == (400, ["recipient"])


def test_statement_is_created_with_what_it_concerns(editor_api, actors):
    ExerciseFactory(slug="vostok-2018")
    body = {
        "slug": "kashin-1",
        "speaker": "russia",
        "kind": "paraphrase",
        "text": "Close cooperation.",
        "date": "2018",
        "about_exercises": ["vostok-2018"],
        "about_actors": [{"slug": "china", "name": "China"}],
        "citations": CITED,
    }

    response = editor_api.post("/api/v1/statements/", body, format="json")

    assert (response.status_code, response.json()["about_exercises"]) == (
        201,
        [{"slug": "vostok-2018", "name": models.Exercise.objects.get().name}],
    )


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"text"', "42", "null", "{bad json", "NaN", "[" * 100000]
)
def test_body_that_is_not_a_json_object_is_400(editor_api, actors, body):
    response = editor_api.post("/api/v1/exercises/", body, content_type="application/json")

    assert (response.status_code, models.Exercise.objects.count()) == (400, 0)


def test_body_over_the_size_limit_is_413(editor_api, actors, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = exercise_body(summary="x" * 2000)

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, models.Exercise.objects.count()) == (413, 0)


def test_form_encoded_body_is_415(editor_api, actors):
    response = editor_api.post("/api/v1/exercises/", {"slug": "x"}, format="multipart")

    assert response.status_code == 415


def test_delete_leaves_a_tombstone(editor_api, actors):
    linked_exercise("tsentr-2019")

    response = editor_api.delete("/api/v1/exercises/tsentr-2019/")

    assert (
        response.status_code,
        list(models.DeletedRecord.objects.values_list("slug", flat=True)),
    ) == (
        204,
        ["tsentr-2019"],
    )


def test_deleting_a_record_others_refer_to_is_409(editor_api, actors):
    china = actors[0]
    linked_exercise("tsentr-2019", china)

    response = editor_api.delete("/api/v1/actors/china/")

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "This record cannot be deleted while other records refer to it "
            "(1 exercise participant: exercise tsentr-2019). Remove those references first.",
            "referred_by": {"exercises": ["tsentr-2019"]},
        },
    )


def test_anonymous_delete_is_401(api, actors):
    assert api.delete("/api/v1/actors/china/").status_code == 401


def test_deleted_slug_cannot_be_reused_409(editor_api, actors):
    linked_exercise("tsentr-2019")
    editor_api.delete("/api/v1/exercises/tsentr-2019/")

    response = editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    assert (response.status_code, list(response.json())) == (409, ["slug"])


def test_malformed_slug_with_a_nul_is_400_not_a_conflict_check(editor_api, actors):
    # PostgreSQL refuses a NUL in a query: the conflict check must not look it up.
    body = {"slug": "bad\x00slug", "title": "A source", "kind": "nonsense"}

    response = editor_api.post("/api/v1/sources/", body, format="json")

    assert (response.status_code, sorted(response.json())) == (400, ["kind", "slug"])


def test_slug_of_a_record_is_409(editor_api, actors):
    linked_exercise("tsentr-2019")

    response = editor_api.post("/api/v1/exercises/", exercise_body(), format="json")

    assert (response.status_code, list(response.json())) == (409, ["slug"])


def test_slug_taken_and_another_fault_is_400_with_both(editor_api, actors):
    linked_exercise("tsentr-2019")

    response = editor_api.post("/api/v1/exercises/", exercise_body(domain="nowhere"), format="json")

    assert (response.status_code, sorted(response.json())) == (400, ["domain", "slug"])


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", 0),
        ("summary", 1.5),
        ("citations", [{"source": "kashin-2019", "footnote": "1"}]),
        ("citations", [{"source": "kashin-2019", "excerpt": 0}]),
        ("participants", [{"actor": "", "role": "host"}]),
    ],
)
def test_value_of_another_json_type_is_400(editor_api, actors, field, value):
    response = editor_api.post("/api/v1/exercises/", exercise_body(**{field: value}), format="json")

    assert (response.status_code, list(response.json())) == (400, [field])


def test_link_to_a_record_that_does_not_exist_is_409(editor_api, actors):
    body = {"slug": "deal", "title": "Deal", "category": "aircraft", "citations": CITED}

    response = editor_api.post("/api/v1/arms-deals/", {**body, "supplier": "nobody"}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"supplier": ["No record has the identifier “nobody”."]},
    )


def test_link_to_no_record_and_a_bad_value_is_400(editor_api, actors):
    body = {"slug": "deal", "title": "Deal", "category": "nothing", "citations": CITED}

    response = editor_api.post("/api/v1/arms-deals/", {**body, "supplier": "nobody"}, format="json")

    assert (response.status_code, sorted(response.json())) == (400, ["category", "supplier"])


def test_empty_link_is_400_not_null(editor_api, actors):
    body = {"slug": "deal", "title": "Deal", "category": "aircraft", "citations": CITED}

    response = editor_api.post("/api/v1/arms-deals/", {**body, "supplier": ""}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"supplier": ["Give the identifier of the linked record, or null for none."]},
    )


def test_create_api_token_command_prints_the_users_token(editor, capsys):
    from django.core.management import call_command

    call_command("create_api_token", "editor")

    assert capsys.readouterr().out.strip() == Token.objects.get(user=editor).key


@pytest.mark.parametrize("path", ["/api/v1/exercises/", "/api/v1/"])
def test_anonymous_reads_can_be_switched_off(api, settings, path):
    settings.API_ANONYMOUS_READ = False

    assert api.get(path).status_code == 401


def test_anonymous_clients_are_throttled(api, settings):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    from django.core.cache import cache

    cache.clear()
    statuses = [api.get("/api/v1/exercises/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_write_to_a_malformed_identifier_is_404_in_json(editor_api):
    response = editor_api.delete("/api/v1/exercises/a%0Ab/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_the_api_index_is_throttled_as_the_lists_are(api, settings):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    from django.core.cache import cache

    cache.clear()
    statuses = [
        api.get(path).status_code for path in ("/api/v1/", "/api/v1/exercises/", "/api/v1/")
    ]

    assert statuses == [200, 200, 429]


def test_the_api_index_refuses_an_unknown_format_naming_it(api):
    response = api.get("/api/v1/?format=xml")

    assert (response.status_code, list(response.json())) == (400, ["format"])
