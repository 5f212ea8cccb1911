"""How messages go out: the dispatcher, sending one message, the shared send budget, progress."""
