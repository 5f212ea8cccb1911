"""How updates come in: polling or webhook, the durable inbox, chat order, the throttle, files."""
