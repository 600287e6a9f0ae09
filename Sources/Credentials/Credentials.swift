// Credentials: placeholder until its issue lands.
