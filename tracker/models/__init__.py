"""The tracker's data model, one module per kind of record."""

from .actors import Actor, ActorKind
from .agreements import Agreement, AgreementKind, AgreementParty, AgreementStatus, PartyRole
from .arms import ArmsCategory, ArmsDeal, ArmsDealContractor, ContractorRole, DealScope, DealStatus
from .base import DeletedRecord, PublicationStatus, TrackedModel
from .changes import Change, Import
from .chart_counts import ChartCount
from .claims import (
    CLAIM_TARGETS,
    DISPUTING_RANKS,
    STATUS_TARGETS,
    Rank,
    ReportedValue,
    StatusUpdate,
)
from .exercises import Exercise, ExerciseDomain, ExerciseParticipant, ParticipantRole
from .sources import CITATION_TARGETS, Citation, Source, SourceKind, normalise_locator
from .statements import Statement, StatementKind

__all__ = [
    "CITATION_TARGETS",
    "CLAIM_TARGETS",
    "DISPUTING_RANKS",
    "STATUS_TARGETS",
    "Actor",
    "ActorKind",
    "Agreement",
    "AgreementKind",
    "AgreementParty",
    "AgreementStatus",
    "ArmsCategory",
    "ArmsDeal",
    "ArmsDealContractor",
    "Change",
    "ChartCount",
    "Citation",
    "ContractorRole",
    "DealScope",
    "DealStatus",
    "DeletedRecord",
    "Exercise",
    "ExerciseDomain",
    "ExerciseParticipant",
    "Import",
    "ParticipantRole",
    "PartyRole",
    "Rank",
    "ReportedValue",
    "PublicationStatus",
    "Source",
    "SourceKind",
    "Statement",
    "StatementKind",
    "StatusUpdate",
    "TrackedModel",
    "normalise_locator",
]
