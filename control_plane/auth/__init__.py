"""Authentication and authorization: passwords, tokens, roles, permissions, the user port."""
