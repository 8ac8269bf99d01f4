print("memgrid-fake-llm: not built yet")
