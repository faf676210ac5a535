"""Keeping an index healthy: check every part, repair what can be rebuilt, salvage what a
damaged database still holds, compact the vector segments, copy it whole while it serves."""

from index.maintenance.backups import BackupReport, backup
from index.maintenance.checks import CheckReport, Problem, check, check_index
from index.maintenance.compaction import CompactReport, compact
from index.maintenance.repairs import RepairReport, repair

__all__ = [
    "BackupReport", "CheckReport", "CompactReport", "Problem", "RepairReport", "backup", "check", "check_index",
    "compact", "repair"
]
