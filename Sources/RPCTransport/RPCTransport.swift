// RPCTransport: placeholder until its issue lands.
