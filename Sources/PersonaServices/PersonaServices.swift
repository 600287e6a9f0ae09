// PersonaServices: placeholder until its issue lands.
