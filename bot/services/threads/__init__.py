"""Two-way exchanges between units and the commune's officers, kept as a thread per unit."""
