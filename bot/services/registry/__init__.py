"""Who is who: units, contacts and roles, invites, the unit file import."""
