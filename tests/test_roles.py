"""Roles: Editors change the record, Viewers only read it; logins resist password guessing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from tests.admin_forms import change_form_data
from tests.api_factories import linked_exercise, linked_statement
from tests.factories import ActorFactory, ExerciseFactory
from tracker import models
from tracker.editors import ROLES, create_user_in_role, role_codenames

pytestmark = pytest.mark.django_db


def session(role: str) -> Client:
    client = Client()
    client.force_login(create_user_in_role(role, f"{role}-long-password-1", role))
    return client


def test_migration_creates_the_two_groups():
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Editors", "Viewers"]


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_the_migrations_groups_hold_exactly_the_roles_permissions(role):
    """The groups as migrated, which accounts get, match what tracker.editors grants."""
    group = Group.objects.get(name=ROLES[role])

    assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(
        role_codenames(role)
    )


def test_viewers_hold_only_view_permissions():
    codenames = Group.objects.get(name="Viewers").permissions.values_list("codename", flat=True)

    assert {c.split("_")[0] for c in codenames} == {"view"}


def test_editors_may_not_change_deletion_tombstones_or_accounts():
    editor = create_user_in_role("ed", "ed-long-password-1", "editor")

    assert (
        editor.has_perm("tracker.delete_exercise"),
        editor.has_perm("tracker.change_deletedrecord"),
        editor.has_perm("auth.change_user"),
    ) == (True, False, False)


def test_viewer_sees_the_change_page_read_only():
    exercise = ExerciseFactory(name="Tsentr")
    response = session("viewer").get(reverse("admin:tracker_exercise_change", args=[exercise.pk]))

    assert (response.status_code, response.context["has_change_permission"]) == (200, False)


def test_viewer_cannot_save_a_change():
    exercise = ExerciseFactory(name="Tsentr")
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    editor = session("editor")
    data = {**change_form_data(editor.get(url)), "name": "Renamed"}

    response = session("viewer").post(url, data)

    assert (response.status_code, models.Exercise.objects.get().name) == (403, "Tsentr")


def test_viewer_cannot_open_the_add_page():
    assert session("viewer").get(reverse("admin:tracker_exercise_add")).status_code == 403


def test_editor_cannot_delete_an_exercise_a_statement_concerns():
    exercise = linked_exercise("tsentr-2019")
    linked_statement("kashin-1", ActorFactory(name="Pavel Felgenhauer"), about_exercises=[exercise])
    url = reverse("admin:tracker_exercise_delete", args=[exercise.pk])

    response = session("editor").post(url, {"post": "yes"})

    assert (response.status_code, models.Exercise.objects.count()) == (200, 1)
    assert "<li>Statement: Pavel Felgenhauer: We are allies.</li>" in response.content.decode()


def test_editor_deletes_an_exercise_nothing_refers_to():
    exercise = linked_exercise("tsentr-2019")
    url = reverse("admin:tracker_exercise_delete", args=[exercise.pk])
    editor = session("editor")
    version = editor.get(url).context["record_version"]

    response = editor.post(url, {"post": "yes", "version": version})

    assert (response.status_code, models.Exercise.objects.count()) == (302, 0)


def test_create_user_command_makes_a_viewer():
    out = io.StringIO()

    call_command(
        "create_user", "reader", "--role", "viewer", "--password", "a-long-pass-99", stdout=out
    )

    user = User.objects.get(username="reader")
    assert (user.is_staff, user.is_superuser, [g.name for g in user.groups.all()]) == (
        True,
        False,
        ["Viewers"],
    )
    assert out.getvalue().strip() == (
        "Viewer created (Viewers). Username: reader  Password: a-long-pass-99"
    )


def test_create_user_command_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice: 'owner'"):
        call_command("create_user", "x", "--role", "owner")


def test_admin_login_locks_out_after_five_wrong_passwords():
    create_user_in_role("alice", "alice-right-password", "editor")
    client = Client()
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "alice", "password": "wrong"})

    response = client.post(login, {"username": "alice", "password": "alice-right-password"})

    assert (response.status_code, "_auth_user_id" in client.session) == (429, False)
    assert "Too many failed logins" in response.content.decode()


def test_admin_login_still_works_after_a_few_wrong_passwords():
    create_user_in_role("alice", "alice-right-password", "editor")
    client = Client()
    login = reverse("admin:login")
    for _ in range(4):
        client.post(login, {"username": "alice", "password": "wrong"})

    response = client.post(login, {"username": "alice", "password": "alice-right-password"})

    assert (response.status_code, "_auth_user_id" in client.session) == (302, True)


def test_viewer_cannot_write_through_the_api(viewer):
    from rest_framework.test import APIClient

    exercise = ExerciseFactory(slug="tsentr-2019", name="Tsentr")
    client = APIClient()
    client.force_authenticate(viewer)
    url = "/api/v1/exercises/tsentr-2019/"
    etag = client.get(url)["ETag"]

    response = client.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH=etag)

    assert (response.status_code, models.Exercise.objects.get(pk=exercise.pk).name) == (
        403,
        "Tsentr",
    )
