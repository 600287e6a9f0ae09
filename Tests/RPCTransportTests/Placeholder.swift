// RPCTransportTests placeholder
