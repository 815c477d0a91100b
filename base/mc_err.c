#include "mc_err.h"

const char *mc_strerror(int err)
{
    switch (err) {
    case MC_OK:
        return "success";
#define MC_ERR_MSG(name, msg) \
    case MC_E##name:          \
        return msg;
        MC_ERR_MAP(MC_ERR_MSG)
#undef MC_ERR_MSG
    default:
        return "unknown error";
    }
}

const char *mc_errname(int err)
{
    switch (err) {
    case MC_OK:
        return "MC_OK";
#define MC_ERR_NAME(name, msg) \
    case MC_E##name:           \
        return "MC_E" #name;
        MC_ERR_MAP(MC_ERR_NAME)
#undef MC_ERR_NAME
    default:
        return "MC_E?";
    }
}
