"""What people see and press: callback data, keyboards, menus, and the table of who may use what."""
