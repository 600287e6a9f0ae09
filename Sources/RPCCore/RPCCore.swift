// RPCCore: placeholder until its issue lands.
