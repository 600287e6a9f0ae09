#include "shim_net.h"
