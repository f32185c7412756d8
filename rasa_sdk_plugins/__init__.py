"""rasa-sdk's plugin hook (rasa_sdk.plugin imports this package by name): the action server's token check."""

from __future__ import annotations

import pluggy

from bot.action_guard import ActionToken


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionToken())
