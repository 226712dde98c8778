"""Pure data types: the evidence about a pod and the findings about it."""

from podmortem.model.evidence import (
    ContainerEvidence,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EnvFrom,
    EnvVar,
    Event,
    LogLine,
    LogText,
    Owner,
    PodEvidence,
    Port,
    Probe,
    SecurityContext,
    Termination,
    Volume,
    VolumeMount,
    Waiting,
)
from podmortem.model.finding import Backoff, Citation, Finding, Hit, PodDiagnosis, Remedy

__all__ = [
    "Backoff", "Citation", "ContainerEvidence", "ContainerSpec", "ContainerState", "ContainerStatus",
    "EnvFrom", "EnvVar", "Event", "Finding", "Hit", "LogLine", "LogText", "Owner", "PodDiagnosis", "PodEvidence",
    "Port", "Probe", "Remedy", "SecurityContext", "Termination", "Volume", "VolumeMount", "Waiting",
]
