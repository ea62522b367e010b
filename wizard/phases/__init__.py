"""The checklist items, one module each, found by id: item `repo.cluster-dir` is the class that
wizard/catalog.py names, in wizard/phases/repo/cluster_dir.py. A phase's package also holds what
its items share (common.py and the like). Items verify, plan and apply; the engine owns the rest.
"""
