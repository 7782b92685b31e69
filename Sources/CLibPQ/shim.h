#ifndef RELIEFLINK_CLIBPQ_SHIM_H
#define RELIEFLINK_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
