"""The admin audit log: who changed what outside a hire's own record, when and why."""
