"""Enrolment reports: reading figures, periods, validation, storing in batches, progress."""
