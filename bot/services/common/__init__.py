"""What every area needs: the audit trail, text folding, catalog-key marking."""
