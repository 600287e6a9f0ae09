// PersonaClient: placeholder until its issue lands.
