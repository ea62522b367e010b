"""Phase 1, preparation: preflight (1.0), the structure choice (1.1), the backup (1.2), the inventory (1.3).

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
