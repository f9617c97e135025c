"""Labeled data: the schema and its checks, the accounts file, splits and the dataset hash."""

from brandfit.data.accounts import load_accounts
from brandfit.data.check import FolderCheck, check_labeled_folder
from brandfit.data.labeled import COLUMNS, LabeledSet, Problem, check_records, dataset_hash, load_labeled
from brandfit.data.split import SPLITS, assign_splits

__all__ = [
    "COLUMNS",
    "FolderCheck",
    "LabeledSet",
    "Problem",
    "SPLITS",
    "assign_splits",
    "check_labeled_folder",
    "check_records",
    "dataset_hash",
    "load_accounts",
    "load_labeled",
]
