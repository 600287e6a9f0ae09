print("protogen-swift")
