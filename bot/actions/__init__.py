"""Rasa custom actions (run by rasa-sdk in the app's virtualenv). Thin: read slots, call the core, return events."""
