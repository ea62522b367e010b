"""The Textual front end: screens, dialogs and widgets that render the headless core (wizard/).

`screens.app.run_app(session)` is what `homelab-wizard` starts; `screens.plain` is the
questionary front end for --plain.
"""
