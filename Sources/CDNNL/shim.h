#ifndef MEMGRID_CDNNL_SHIM_H
#define MEMGRID_CDNNL_SHIM_H
#include <dnnl.h>
#endif
