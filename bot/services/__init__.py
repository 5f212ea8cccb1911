"""Business rules, one package per area; no Telegram, no texts (they return codes and values)."""
