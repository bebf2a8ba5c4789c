/* csrc/ocsp.c: OCSP helpers for nodetls.engine.ocsp (cdef in _cdefs/ocsp.py).
 *
 * Two small C helpers keep C-only types out of the cdef: struct tm (to read an
 * ASN1 time as calendar fields, so Python builds an aware datetime without timegm)
 * and time_t (to verify against a caller-given time instead of the system clock).
 */

#include "nodetls.h"

#include <time.h>

/* Calendar fields of an ASN1 time, UTC: out[0..5] = year, month (1-12), day, hour,
   minute, second.  Returns 0 if the time is absent or malformed. */
static int nodetls_ocsp_time_fields(const ASN1_GENERALIZEDTIME *t, int *out)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    out[0] = tm.tm_year + 1900;
    out[1] = tm.tm_mon + 1;
    out[2] = tm.tm_mday;
    out[3] = tm.tm_hour;
    out[4] = tm.tm_min;
    out[5] = tm.tm_sec;
    return 1;
}

/* Make chain checks in OCSP_basic_verify use `t` (seconds since the epoch) rather
   than the system clock: the caller's clock is the only clock. */
static void nodetls_ocsp_set_verify_time(X509_STORE *st, int64_t t)
{
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), (time_t)t);
}
