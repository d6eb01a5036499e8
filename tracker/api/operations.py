"""How the OpenAPI schema describes the record endpoints: each operation's summary,
the errors it may answer, the ETag and If-Match headers, and the CSV export note.

The views (:mod:`tracker.api.views`) apply these with :func:`document`; what the
schema says about query values and access is in :mod:`tracker.api.schema`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Field errors ({field: [messages]}) or {detail: message}.",
)
READ_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown or malformed parameters."),
    401: ERROR,
    403: ERROR,
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such record or page."),
    406: ERROR,
    429: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Too many anonymous requests, or failed authentications, from the "
        "address; Retry-After gives the seconds to wait.",
    ),
}
WRITE_ERRORS = {
    **READ_ERRORS,
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Invalid record, or a publishing rule refused the change of "
        "publication_status (no date, no citation, four eyes: the message names the rule): "
        "{field: [messages]}; nothing stored.",
    ),
    413: OpenApiResponse(OpenApiTypes.OBJECT, description="Body over the size limit."),
    415: ERROR,
}
PRECONDITION_ERRORS = {
    412: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="The record changed since the version in If-Match: {detail, changes "
        "(who saved it, when, what), current_etag}. Nothing stored; read it again.",
    ),
    428: OpenApiResponse(
        OpenApiTypes.OBJECT, description="No If-Match header: an update must name its version."
    ),
}
CONFLICT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The body is well formed but conflicts with stored data, and nothing else is "
    "wrong: its slug belongs to a record or to a deleted one (identifiers are never reused), "
    "or it links to records that do not exist. {field: [messages]}; nothing stored.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description="The record's version; send it back in If-Match when updating.",
)


def if_match_parameter(required: bool) -> OpenApiParameter:
    """The If-Match request header: the ETag of the version the client read.

    Empty counts as absent (428 where required, no check on a delete), so only the
    required header declares ``minLength``.
    """
    return OpenApiParameter(
        "If-Match",
        {"type": "string", "minLength": 1} if required else {"type": "string"},
        location=OpenApiParameter.HEADER,
        required=required,
        description="The ETag from reading the record. A record changed since is refused "
        "with 412" + (" and a missing header with 428." if required else "."),
    )


CSV_NOTE = (
    "Every matching row, all pages, streamed as CSV: the same filters as the list; columns "
    "as in the data package's CSV file of this resource. `?format=csv` (or `Accept: text/csv`) "
    "on the list answers the same and stays for existing consumers; this operation is the "
    "documented form."
)


def document(serializer, name: str):
    """OpenAPI descriptions of one record resource's six operations."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {name}",
            description=f"A page of {name}, filtered and ordered as the parameters say. "
            f"For all of them as CSV, use the export operation (`?format=csv` here answers "
            f"the same CSV, for existing consumers).",
            parameters=[OpenApiParameter("format", exclude=True)],
            responses={200: serializer(many=True), **READ_ERRORS},
        ),
        retrieve=extend_schema(
            summary=f"One of the {name}",
            parameters=[ETAG_HEADER],
            responses={200: serializer, **READ_ERRORS},
        ),
        create=extend_schema(
            summary=f"Create one of the {name}",
            parameters=[ETAG_HEADER],
            responses={201: serializer, **WRITE_ERRORS, 409: CONFLICT},
        ),
        update=extend_schema(
            summary=f"Replace one of the {name}",
            parameters=[if_match_parameter(required=True), ETAG_HEADER],
            responses={200: serializer, **WRITE_ERRORS, **PRECONDITION_ERRORS, 409: CONFLICT},
        ),
        partial_update=extend_schema(
            summary=f"Change fields of one of the {name}",
            parameters=[if_match_parameter(required=True), ETAG_HEADER],
            responses={200: serializer, **WRITE_ERRORS, **PRECONDITION_ERRORS, 409: CONFLICT},
        ),
        destroy=extend_schema(
            summary=f"Delete one of the {name}",
            parameters=[if_match_parameter(required=False)],
            responses={
                204: OpenApiResponse(description="Deleted; its identifier is in /deletions/."),
                409: OpenApiResponse(
                    OpenApiTypes.OBJECT, description="Other records still refer to it."
                ),
                412: PRECONDITION_ERRORS[412],
                **READ_ERRORS,
            },
        ),
    )
