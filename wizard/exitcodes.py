"""Exit codes (DESIGN.md): 0 ok; 1 a check failed; 2 bad usage or input; 3 blocked by a missing
precondition; 4 refused for safety (other cluster, dirty tree, lock held); 130 interrupted."""
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BLOCKED, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
