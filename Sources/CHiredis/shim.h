#ifndef MEMGRID_CHIREDIS_SHIM_H
#define MEMGRID_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
