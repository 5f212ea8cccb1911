"""What a process is among those sharing a database: the leader lock, leadership, chat claims."""
