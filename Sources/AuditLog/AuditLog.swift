// AuditLog: placeholder until its issue lands.
