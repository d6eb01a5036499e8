"""Token and session authentication that stop an address guessing credentials.

A token is sent as ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``.

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
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
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


#: Words accepted before the key in the Authorization header (any case).
TOKEN_KEYWORDS = ("Token", "Bearer")


class TokenOrBearerAuthentication(TokenAuthentication):
    """DRF's token authentication, with the key after either ``Token`` or ``Bearer``.

    Generated OpenAPI clients send ``Bearer``; curl examples and older
    consumers send ``Token``. The 401 challenge names ``Token``.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        word = header.partition(" ")[0] if isinstance(header, str) else ""
        for keyword in TOKEN_KEYWORDS:
            if word.lower() == keyword.lower():
                # DRF's own parsing, with the keyword this header used.
                self.keyword = keyword
                try:
                    return super().authenticate(request)
                finally:
                    self.keyword = TokenAuthentication.keyword
        return None


class LimitedTokenAuthentication(FailureLimited, TokenOrBearerAuthentication):
    """``Authorization: Token <key>`` or ``Bearer <key>``, with failures counted per address."""


class LimitedSessionAuthentication(FailureLimited, SessionAuthentication):
    """The admin's login session, refused from an address blocked for failures."""


class LimitedSessionScheme(SessionScheme):
    """OpenAPI: the session is described as DRF's (the token's scheme matches subclasses)."""

    target_class = LimitedSessionAuthentication


class TokenOrBearerScheme(OpenApiAuthenticationExtension):
    """OpenAPI: both spellings, ``tokenAuth`` (apiKey header) and ``bearerAuth``."""

    target_class = TokenOrBearerAuthentication
    match_subclasses = True
    name = ["tokenAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            build_bearer_security_scheme_object("Authorization", "Token"),
            build_bearer_security_scheme_object("Authorization", "Bearer"),
        ]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]
