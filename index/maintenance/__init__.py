"""Keeping an index healthy: check every part, repair what can be rebuilt, salvage what a
damaged database still holds, compact the vector segments, copy it whole while it serves."""

from index.maintenance.backup import BackupReport, backup
from index.maintenance.check import CheckReport, Problem, check
from index.maintenance.compact import CompactReport, compact
from index.maintenance.repair import RepairReport, repair

__all__ = [
    "BackupReport", "CheckReport", "CompactReport", "Problem", "RepairReport", "backup", "check",
    "compact", "repair"
]
