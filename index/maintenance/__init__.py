"""Keeping an index healthy: check every part, repair what can be rebuilt, salvage what a
damaged database still holds, compact the vector segments."""

from index.maintenance.check import CheckReport, Problem, check
from index.maintenance.compact import CompactReport, compact
from index.maintenance.repair import RepairReport, repair

__all__ = [
    "CheckReport", "CompactReport", "Problem", "RepairReport", "check", "compact",
    "repair"
]
