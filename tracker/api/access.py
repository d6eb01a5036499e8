"""Who may read and write, and how fast anonymous clients may ask."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissionsOrAnonReadOnly
from rest_framework.throttling import AnonRateThrottle

from ..limits import Window, client_address


class ModelPermissionsOrConfiguredAnonRead(DjangoModelPermissionsOrAnonReadOnly):
    """Writes need the model's Django permission; anonymous reads only if configured.

    ``API_ANONYMOUS_READ`` (default true) lets anyone read; set it false to
    require a login or token for reads as well.
    """

    def has_permission(self, request, view) -> bool:
        if (
            request.method in SAFE_METHODS
            and not settings.API_ANONYMOUS_READ
            and not (request.user and request.user.is_authenticated)
        ):
            return False
        return super().has_permission(request, view)


class AnonymousRateThrottle(AnonRateThrottle):
    """Throttles anonymous clients at ``API_ANON_THROTTLE_RATE`` (e.g. ``100/minute``).

    Counted per client address (:func:`tracker.limits.client_address`, so a
    made-up ``X-Forwarded-For`` changes nothing without a trusted proxy) in the
    shared cache, the same count for every worker. The rate is read from
    settings on every request so it can be changed (or set to ``None`` to
    switch throttling off) without restarting.
    """

    def get_rate(self) -> str | None:
        return settings.API_ANON_THROTTLE_RATE

    def get_ident(self, request) -> str:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None or (request.user and request.user.is_authenticated):
            return True
        window = Window("anonymous", self.num_requests, self.duration)
        self.seconds_to_wait = window.hit(self.get_ident(request))
        return self.seconds_to_wait is None

    def wait(self) -> int | None:
        return self.seconds_to_wait
