"""Phase 5, integration: docs, no manual kubectl apply, image automation, notifications."""
