// libsodium (Debian libsodium-dev): its Ed25519 verification costs about half of OpenSSL 3.0's on
// this machine, and every signature the HSM makes is verified before it is returned.
#include <sodium.h>
