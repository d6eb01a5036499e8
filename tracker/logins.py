"""Admin login lockout: per username and address, and per address whatever the usernames.

django-axes records each failed login in the database (one row per username,
address and browser, with its count and the time of its latest failure) and
asks this handler how many failures count against a login. A row counts while
its latest failure is less than ``AXES_COOLOFF_TIME`` old. A login is refused
when

* its username and address have ``AXES_FAILURE_LIMIT`` counted failures, or
* its address has ``AXES_ADDRESS_FAILURE_LIMIT`` counted failures, whatever
  the usernames (one address trying many accounts).

Attempts refused during a lockout are not recorded
(``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` off), so they never prolong
it. A successful login clears its own username's failures from that address
only: an account an attacker holds cannot wipe the address's count.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum


def _total(attempts: QuerySet) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginLockoutHandler(AxesDatabaseHandler):
    """The database handler, with a second, higher limit for an address alone."""

    def _recent(self, request) -> QuerySet:
        return AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )

    def get_failures(self, request, credentials: dict[str, Any] | None = None) -> int:
        """Failures counted against ``AXES_FAILURE_LIMIT`` for this login.

        The username and address's own failures; or, once the address alone
        reached ``AXES_ADDRESS_FAILURE_LIMIT``, the failure limit itself (locked).
        """
        recent = self._recent(request)
        username = get_client_username(request, credentials)
        pair = _total(recent.filter(username=username))
        if _total(recent) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials: dict[str, Any] | None = None) -> int:
        """After a successful login: forget that username's failures from that address."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
