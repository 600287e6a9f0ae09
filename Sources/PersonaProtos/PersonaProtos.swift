// PersonaProtos: placeholder until its issue lands.
