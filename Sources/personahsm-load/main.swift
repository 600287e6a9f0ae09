// personahsm-load entry point (placeholder).
print("personahsm-load: not implemented yet")
