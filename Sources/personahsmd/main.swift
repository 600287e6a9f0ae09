// personahsmd entry point (placeholder).
print("personahsmd: not implemented yet")
