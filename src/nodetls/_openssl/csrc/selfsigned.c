/* csrc/selfsigned.c: the one C helper of nodetls.engine.selfsigned.
 *
 * nodetls_selfsigned_set_validity sets notBefore/notAfter from seconds since the epoch,
 * because time_t has no portable cffi spelling and the engine takes time from its caller
 * rather than reading a clock.
 */

#include "nodetls.h"

#include <time.h>

static int nodetls_selfsigned_set_validity(X509 *x, int64_t not_before, int64_t not_after)
{
    return ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) != NULL
        && ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) != NULL;
}
