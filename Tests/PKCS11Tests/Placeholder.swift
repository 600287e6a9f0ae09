// PKCS11Tests placeholder
