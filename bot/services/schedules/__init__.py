"""Schedules held in the database: rules, planning, firing exactly once."""
