"""Statistics and the data behind exports."""
