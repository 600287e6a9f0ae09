// libprotobuf-c runtime (libprotobuf-c-dev).
#include <protobuf-c/protobuf-c.h>
