"""The supplier's portal settings: one item, defaults until an admin saves them."""
from __future__ import annotations

from chalicelib.store.models import SettingsItem

KEY = ("SETTINGS", "SETTINGS")


def load() -> SettingsItem:
    try:
        return SettingsItem.get(*KEY)
    except SettingsItem.DoesNotExist:
        return SettingsItem(*KEY)


def save(settings: SettingsItem) -> SettingsItem:
    settings.pk, settings.sk = KEY
    settings.save()
    return settings
