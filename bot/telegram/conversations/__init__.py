"""Conversations any process can continue: their routing, and each person's drafts and states."""
