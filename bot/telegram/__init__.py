"""Everything that speaks Telegram: context, callbacks, permissions, menus, sending, updates."""
