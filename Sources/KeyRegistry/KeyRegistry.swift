// KeyRegistry: placeholder until its issue lands.
