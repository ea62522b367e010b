"""Secret management: S.1 finds plaintext Secrets, S.2 keeps the keys, S.3 encrypts (SOPS or Sealed
Secrets, methods.py), S.4 makes Flux decrypt. No secret value reaches a plan, a verdict or the journal.

One module per item, named by its id (see wizard/catalog.py); the others hold what they share.
"""
