"""The browser playground: the real bot on the sandbox, in a web chat on 127.0.0.1."""
