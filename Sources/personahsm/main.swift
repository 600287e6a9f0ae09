// personahsm entry point (placeholder).
print("personahsm: not implemented yet")
