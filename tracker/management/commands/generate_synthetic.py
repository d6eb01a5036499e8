"""``manage.py generate_synthetic --scale N``: fill a database with linked synthetic records."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from tracker import synthetic
from tracker.models import Statement


class Command(BaseCommand):
    help = (
        "Write N synthetic statements with proportionate actors, sources, agreements, "
        "exercises, arms deals, link rows and citations (for benchmarks; never on real data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, required=True, help="Number of statements.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same records.")

    def handle(self, *args, scale: int, seed: int, **options):
        if scale < 1:
            raise CommandError("--scale is a number of statements, at least 1.")
        # Synthetic identifiers are fixed by their number, so a second run would collide.
        if Statement.objects.filter(slug__startswith="syn-").exists():
            raise CommandError("This database already holds synthetic records.")
        started = time.monotonic()
        verbose = options["verbosity"] > 1
        counts = synthetic.generate(
            scale, seed, progress=(lambda message: self.stdout.write(message)) if verbose else None
        )
        elapsed = time.monotonic() - started
        for name, number in sorted(counts.rows.items()):
            self.stdout.write(f"{name:32} {number:>12,}")
        total = sum(counts.rows.values())
        self.stdout.write(f"{'total rows':32} {total:>12,} in {elapsed:.1f} s")
