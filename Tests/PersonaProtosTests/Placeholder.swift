// PersonaProtosTests placeholder
