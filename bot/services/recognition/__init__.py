"""Spreading good models and commending units: sharing, review, commendation lists, milestones."""
