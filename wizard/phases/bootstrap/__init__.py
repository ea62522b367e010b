"""Phase 3, Flux bootstrap: credentials (3.1), flux bootstrap (3.2), the controllers (3.3), the sync (3.4).

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
