"""Token and session authentication that stop an address guessing credentials.

A failed authentication (a wrong or unknown token) is counted per client
address; past ``API_AUTH_FAILURE_LIMIT`` failures in ``API_AUTH_FAILURE_SECONDS``
the address is answered 429 with ``Retry-After``, for right credentials too,
until the oldest counted failure is that old. Refused attempts are not
counted, so guessing on does not prolong the wait. Session logins happen in the
admin, where django-axes limits them (``tracker.logins``).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from ..limits import Window, client_address


class TooManyFailures(Throttled):
    """429: this address failed to authenticate too often."""

    default_detail = "Too many failed authentications from your address."
    extra_detail_singular = "Retry in {wait} second."
    extra_detail_plural = "Retry in {wait} seconds."


def failures() -> Window:
    """The window counting failed authentications per address (settings read now)."""
    return Window(
        "authentication-failures",
        settings.API_AUTH_FAILURE_LIMIT,
        settings.API_AUTH_FAILURE_SECONDS,
    )


class FailureLimited:
    """Mixed into a DRF authentication class: counts its failures, refuses a blocked address."""

    def authenticate(self, request):
        address = client_address(request)
        try:
            result = super().authenticate(request)
        except AuthenticationFailed:
            wait = failures().hit(address)
            if wait is not None:
                raise TooManyFailures(wait) from None
            raise
        if result is not None:
            # Right credentials from an address still blocked are refused too, or
            # guessing would go on and stop at the first success.
            wait = failures().wait(address)
            if wait is not None:
                raise TooManyFailures(wait)
        return result


class LimitedTokenAuthentication(FailureLimited, TokenAuthentication):
    """``Authorization: Token <key>``, with failures counted per address."""


class LimitedSessionAuthentication(FailureLimited, SessionAuthentication):
    """The admin's login session, refused from an address blocked for failures."""


class LimitedSessionScheme(SessionScheme):
    """OpenAPI: the session is described as DRF's (the token's scheme matches subclasses)."""

    target_class = LimitedSessionAuthentication
