// PKCS11: placeholder until its issue lands.
