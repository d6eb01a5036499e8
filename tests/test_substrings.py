"""A search word counted from the suffix index finds what ``icontains`` finds.

On PostgreSQL the index form (``tracker_suffixes(...) @@ 'WORD':*``) is
compared with the ``LIKE`` form row for row, over the seed's records and over
texts made to catch an edge (words at a column's edges, next to other letters,
digits, punctuation, letters outside ASCII whose upper case is ASCII). On
SQLite both forms are the ``LIKE`` one, and the same comparisons hold.
"""

from __future__ import annotations

import importlib
import random
import string

import pytest
from django.db import connection
from django.db.models import JSONField, Q
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, ExerciseFactory, StatementFactory
from tracker import registry, substrings
from tracker.codes import ALIASES_LENGTH
from tracker.counting import EstimatedCountPaginator
from tracker.internals import with_conditions_replaced
from tracker.models import Actor, Exercise, Statement
from tracker.search import contains_any

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
MIGRATION = importlib.import_module("tracker.migrations.0018_suffix_indexes")

EDGE_TEXTS = [
    "Zhurong-class corvettes",
    "the S-400 and Su-35S deals",
    "ZHURONG at the end: zhurong",
    "inside words: xzhurongx, abc123def",
    "Dotless ı and long ſ: zhırong, ſu35",
    "Кириллица zhurong’s Россия",
    "a 16-character word: abcdefghijklmnop, and 17: abcdefghijklmnopq",
    "under_score and dot.ted and e-mail@host.example",
]
WORDS = [
    "zhurong",
    "ZhUrOnG",
    "hurong",
    "rong",
    "s35",
    "400",
    "123",
    "c12",
    "ghijklmnop",
    "abcdefghijklmnop",
    "score",
    "host",
    "example",
    "ted",
    "naval",
    "russia",
    "vostok",
    "zhi",
    "su3",
    "zhirong",
    "su35",
]


def like_form(model, word):
    condition = Q()
    for name in substrings.indexed_columns(model):
        condition |= Q(**{f"{name}__icontains": word})
    return condition


def found(model, condition) -> set[int]:
    return set(model._default_manager.filter(condition).values_list("pk", flat=True))


def test_the_migration_writes_what_the_module_declares():
    assert MIGRATION.FUNCTION_SQL.strip() == substrings.FUNCTION_SQL.strip()
    assert [MIGRATION.index_sql(name) for name in MIGRATION.INDEXES] == [
        substrings.index_sql(rt.model) for rt in registry.RECORD_TYPES
    ]


def test_indexed_columns_are_the_own_search_fields():
    assert substrings.indexed_columns(Statement) == ("text", "occasion", "speaker_role")
    assert substrings.indexed_columns(Actor) == ("name", "aliases", "role", "description")


@pytest.mark.parametrize(
    ("word", "indexed"),
    [
        ("zhurong", True),
        ("S400", True),
        ("abc", True),
        ("ab", False),
        ("abcdefghijklmnop", True),
        ("abcdefghijklmnopq", False),
        ("S-400", False),
        ("Россия", False),
        ("zhı", False),
        ("two words", False),
    ],
)
def test_which_words_the_index_answers(word, indexed):
    assert substrings.is_indexed_word(word) is indexed


@pytest.mark.parametrize("model", [Statement, Actor, Exercise])
def test_index_form_finds_what_icontains_finds(model):
    for i, text in enumerate(EDGE_TEXTS):
        StatementFactory(text=text, occasion=EDGE_TEXTS[-1 - i], speaker_role="")
        ActorFactory(name=f"Actor {i}", aliases=[text], description=EDGE_TEXTS[-1 - i])
        ExerciseFactory(name=f"Exercise {i}", summary=text, location=EDGE_TEXTS[-1 - i])
    expected = {word: found(model, like_form(model, word)) for word in WORDS}
    assert any(expected.values()) and not all(expected.values())
    from_index = {
        word: found(model, substrings.ContainedInColumns(model, word, from_index=True))
        for word in WORDS
    }
    assert from_index == expected
    as_written = {word: found(model, substrings.ContainedInColumns(model, word)) for word in WORDS}
    assert as_written == expected


@pytest.mark.parametrize(
    ("word", "slugs"),
    [
        ("zhurong", {"edge-0", "edge-1", "edge-3"}),
        ("hurong", {"edge-0", "edge-1", "edge-3"}),
        ("ghijklmnop", {"edge-2"}),
        ("35s", {"edge-4"}),
    ],
)
def test_index_form_exact_rows(word, slugs):
    for i, text in enumerate(
        ["Zhurong-class", "xzhurongx", "abcdefghijklmnop", "zhurong’s", "Su-35S"]
    ):
        StatementFactory(slug=f"edge-{i}", text=text)
    rows = Statement.objects.filter(
        substrings.ContainedInColumns(Statement, word, from_index=True), slug__startswith="edge-"
    )
    assert set(rows.values_list("slug", flat=True)) == slugs


def test_a_search_condition_takes_the_own_columns_at_once():
    condition = contains_any(Statement, registry.STATEMENT.search_fields, "zhurong")
    own = [c for c in condition.children if isinstance(c, substrings.ContainedInColumns)]
    assert len(own) == 1
    # Words the index does not answer keep one icontains arm per column.
    condition = contains_any(Statement, registry.STATEMENT.search_fields, "S-400")
    assert not any(isinstance(c, substrings.ContainedInColumns) for c in condition.children)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the suffix indexes exist on PostgreSQL only")
@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.key)
def test_the_index_serves_the_index_form(record_type):
    model = record_type.model
    word = "zhurong"
    queryset = model._default_manager.filter(
        contains_any(model, record_type.search_fields, word)
    ).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = substrings.answered_from_index(queryset).values("pk").explain()
    assert substrings.index_name(model) in plan


def index_form_kept(queryset) -> bool:
    found = []
    with_conditions_replaced(
        substrings.answered_from_index(queryset),
        substrings.ContainedInColumns,
        lambda c: found.append(c.from_index) or c,
    )
    return found == [True]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the index form is PostgreSQL's")
@pytest.mark.parametrize(
    ("switched_off", "kept"), [("enable_seqscan", True), ("enable_bitmapscan", False)]
)
def test_the_index_form_is_not_used_where_rows_would_be_tested(switched_off, kept):
    """Planned as a scan of the table (a word in most rows), the suffixes would be
    computed for each row: the LIKE form is kept then, with the plan's estimate."""
    StatementFactory.create_batch(3, text="Zhurong")
    queryset = Statement.objects.filter(
        contains_any(Statement, ["text", "occasion", "speaker_role"], "zhurong")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {switched_off} = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        assert index_form_kept(queryset) is kept
        assert substrings.answered_from_index(queryset).estimated_rows >= 1


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the index form is PostgreSQL's")
def test_a_list_counts_from_the_index_and_reads_its_page_with_like():
    for i in range(3):
        StatementFactory(text=f"Zhurong exercise {i}")
    own = ["text", "occasion", "speaker_role"]
    queryset = Statement.objects.filter(contains_any(Statement, own, "zhurong")).order_by("slug")
    paginator = EstimatedCountPaginator(queryset, 2)
    with connection.cursor() as cursor:
        # A table this small is read whole (and the LIKE form kept) unless told not to.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(1)
        rows = list(page.object_list)
    assert (paginator.count, len(rows)) == (3, 2)
    reads = [q["sql"] for q in queries if not q["sql"].startswith("EXPLAIN")]
    counting = [sql for sql in reads if "COUNT(" in sql]
    page_read = [sql for sql in reads if "COUNT(" not in sql and "LIMIT 2" in sql]
    assert len(counting) == 1 and "tracker_suffixes(" in counting[0]
    assert page_read and all("tracker_suffixes(" not in sql for sql in page_read)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the index form is PostgreSQL's")
def test_an_ordered_read_walking_an_order_index_is_read_with_like():
    """The unordered plan reads the index; a read in slug order, told not to sort,
    walks the slug index and would compute the suffixes of each row it passes."""
    for i in range(3):
        StatementFactory(slug=f"zhurong-{i}", text=f"Zhurong exercise {i}")
    own = ["text", "occasion", "speaker_role"]
    queryset = Statement.objects.filter(contains_any(Statement, own, "zhurong")).order_by("slug")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        indexed = substrings.answered_from_index(queryset)
        read = indexed.values_list("slug", flat=True)[:2]
        checked = substrings.read_checked(read)
        assert "tracker_suffixes(" in str(read.query)
        assert "tracker_suffixes(" not in str(checked.query)
        assert list(checked) == ["zhurong-0", "zhurong-1"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the index form is PostgreSQL's")
@pytest.mark.parametrize(("limit", "explained"), [(3, 0), (10, 0), (2, 1)])
def test_an_unordered_read_is_asked_again_only_below_the_estimate(limit, explained):
    for i in range(3):
        StatementFactory(text=f"Zhurong exercise {i}")
    own = ["text", "occasion", "speaker_role"]
    queryset = Statement.objects.filter(contains_any(Statement, own, "zhurong"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    indexed = substrings.answered_from_index(queryset)
    read = indexed.order_by().values("pk")[:limit]
    with CaptureQueriesContext(connection) as queries:
        checked = substrings.read_checked(read, estimated_rows=3)
    assert sum(q["sql"].startswith("EXPLAIN") for q in queries) == explained
    assert checked.count() == min(limit, 3)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the suffix indexes exist on PostgreSQL only")
def test_the_statistics_migration_gives_each_suffix_index_statistics():
    analysed = importlib.import_module("tracker.migrations.0019_analyze_suffix_indexes")
    for i in range(3):
        StatementFactory(text=f"Zhurong exercise {i}")
    with connection.schema_editor() as editor:
        analysed.analyze(None, editor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_stats WHERE tablename = ANY(%s)",
            [list(MIGRATION.INDEXES)],
        )
        with_statistics = {row[0] for row in cursor.fetchall()}
    assert "statement_suffixes" in with_statistics
    assert analysed.tables() == sorted(rt.model._meta.db_table for rt in registry.RECORD_TYPES)


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.key)
def test_a_records_suffixes_fit_one_tsvector(record_type):
    """A tsvector keeps its lexemes' offsets in 20 bits, and PostgreSQL does not check
    them when it builds one from an array: the indexed characters, one suffix of at
    most SUFFIX_LENGTH bytes each, must stay below 2**20. A JSON column is indexed as
    its text, where a control character is written as six (``\\u0001``, five of them
    letters and digits)."""
    model = record_type.model
    characters = 0
    for name in substrings.indexed_columns(model):
        field = model._meta.get_field(name)
        characters += 5 * ALIASES_LENGTH if isinstance(field, JSONField) else field.max_length
    assert characters * substrings.SUFFIX_LENGTH < 2**20


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the suffix indexes exist on PostgreSQL only")
@pytest.mark.parametrize("switched_off", ["enable_seqscan", "enable_bitmapscan"])
def test_an_actor_at_every_length_limit_is_found_from_its_index(switched_off):
    letters = random.Random(1).choices(string.ascii_letters + string.digits, k=25_400)
    run = "".join(letters)
    aliases = [run[400 + i * 500 : 900 + i * 500] for i in range(10)]
    actor = ActorFactory.build(
        name=run[:200], role=run[200:400], aliases=aliases, description=run[5_400:]
    )
    actor.full_clean()
    actor.save()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {switched_off} = off")
    for word in (run[:16], run[4_000:4_016], run[-16:]):
        condition = substrings.ContainedInColumns(Actor, word, from_index=True)
        assert list(Actor.objects.filter(condition)) == [actor]
