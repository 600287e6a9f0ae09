// RPCCoreTests placeholder
