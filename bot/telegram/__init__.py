"""Everything that speaks Telegram: intake/, outbox/, ui/, conversations/, and the context."""
