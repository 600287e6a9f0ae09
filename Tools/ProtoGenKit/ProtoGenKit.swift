// ProtoGenKit placeholder
