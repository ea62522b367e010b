"""Phase 2, repository setup: 2.1-2.4 stage their changes (tried first in a scratch copy, proof.py);
2.5 commits them, one commit per step, and pushes. They work with no cluster.

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
