"""Phase 4, validation, read from Flux's status conditions and inventories: everything deployed via
Flux (4.1), reconciled at the pushed revision (4.2), drift seen (4.3) and reverted (4.4).

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
