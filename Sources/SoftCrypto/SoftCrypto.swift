// SoftCrypto: placeholder until its issue lands.
