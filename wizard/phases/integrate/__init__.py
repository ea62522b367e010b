"""Phase 5, integration: the GitOps workflow documented (5.1), no manual kubectl apply left (5.2),
image automation (5.3), notifications (5.4).

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
