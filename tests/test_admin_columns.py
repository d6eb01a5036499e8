"""The admin lists' columns: long text cut, whole on hover; no query a row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from tests.factories import ActorFactory, CitationFactory, StatementFactory
from tracker.admin.columns import clip

pytestmark = pytest.mark.django_db

QUOTE = (
    "The roadmap makes top-level design and general plan for the military cooperation "
    "between the two countries in the next five years."
)


def test_clip_keeps_the_whole_text_as_the_tooltip():
    assert clip('Russia & "China"', "wide", lines=2) == (
        '<span class="clip clip-wide clip-2" title="Russia &amp; &quot;China&quot;">'
        "Russia &amp; &quot;China&quot;</span>"
    )


def test_clip_of_nothing_is_an_empty_cell():
    assert (clip(None), clip("")) == ("", "")


def test_statement_list_cuts_the_text_and_keeps_it_whole_on_hover(editor_client):
    StatementFactory(text=QUOTE, occasion="Ministry of National Defense press conference")
    content = editor_client.get(reverse("admin:tracker_statement_changelist")).content.decode()
    assert f'<span class="clip clip-wide clip-2" title="{escape(QUOTE)}">' in content
    assert 'title="Ministry of National Defense press conference"' in content


def citation_list_queries(editor_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert editor_client.get(reverse("admin:tracker_citation_changelist")).status_code == 200
    return len(queries)


def test_citation_list_names_statements_without_a_query_a_row(editor_client):
    # A statement is named by its speaker, so each cited statement has its own.
    CitationFactory(statement=StatementFactory(speaker=ActorFactory()))
    one = citation_list_queries(editor_client)
    for _ in range(5):
        CitationFactory(statement=StatementFactory(speaker=ActorFactory()))
    assert citation_list_queries(editor_client) == one
