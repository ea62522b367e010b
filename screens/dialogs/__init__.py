"""Modal dialogs: confirm, answers, help, error and resume."""
