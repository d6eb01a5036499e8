"""API tokens sent as ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import TokenAuthentication

#: Words accepted before the key in the Authorization header (any case).
TOKEN_KEYWORDS = ("Token", "Bearer")


class TokenOrBearerAuthentication(TokenAuthentication):
    """DRF's token authentication, with the key after either ``Token`` or ``Bearer``.

    Generated OpenAPI clients send ``Bearer``; curl examples and older
    consumers send ``Token``. The 401 challenge names ``Token``.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        word, _, rest = header.partition(" ") if isinstance(header, str) else ("", "", "")
        for keyword in TOKEN_KEYWORDS:
            if word.lower() == keyword.lower():
                # DRF's own parsing, with the keyword this header used.
                self.keyword = keyword
                try:
                    return super().authenticate(request)
                finally:
                    self.keyword = TokenAuthentication.keyword
        return None


class TokenOrBearerScheme(OpenApiAuthenticationExtension):
    """Both spellings in the schema: ``tokenAuth`` (apiKey header) and ``bearerAuth``."""

    target_class = TokenOrBearerAuthentication
    name = ["tokenAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            build_bearer_security_scheme_object("Authorization", "Token"),
            build_bearer_security_scheme_object("Authorization", "Bearer"),
        ]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]
