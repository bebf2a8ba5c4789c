"""<openssl/ocsp.h>: OCSP requests and responses, for stapling a real response.

Used by ``nodetls.engine.ocsp`` to build a request for (certificate, issuer), to parse
and verify the responder's answer, and to read the responder URLs from a certificate's
Authority Information Access extension.  The stapled bytes themselves go to the
connection through ``SSL_set_tlsext_status_ocsp_resp`` (declared in ``ssl.py``).

Two small C helpers (``csrc/ocsp.c``) keep C-only types out of the cdef: ``struct tm``
(to read an ASN1 time as calendar fields, so Python builds an aware ``datetime`` without
timegm) and ``time_t`` (to verify against a caller-given time instead of the system
clock).
"""

TYPES = """
typedef ... OCSP_CERTID;
typedef ... OCSP_ONEREQ;
typedef ... OCSP_REQUEST;
typedef ... OCSP_RESPONSE;
typedef ... OCSP_BASICRESP;
typedef ... ASN1_GENERALIZEDTIME;
typedef ... nodetls_STACK_OF_OPENSSL_STRING;

static const int OCSP_RESPONSE_STATUS_SUCCESSFUL;
static const int OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
static const int OCSP_RESPONSE_STATUS_INTERNALERROR;
static const int OCSP_RESPONSE_STATUS_TRYLATER;
static const int OCSP_RESPONSE_STATUS_SIGREQUIRED;
static const int OCSP_RESPONSE_STATUS_UNAUTHORIZED;

static const int V_OCSP_CERTSTATUS_GOOD;
static const int V_OCSP_CERTSTATUS_REVOKED;
static const int V_OCSP_CERTSTATUS_UNKNOWN;

static const unsigned long OCSP_NOINTERN;
static const unsigned long OCSP_NOCHAIN;
static const unsigned long OCSP_NOVERIFY;
static const unsigned long OCSP_NOEXPLICIT;
static const unsigned long OCSP_NOCHECKS;
static const unsigned long OCSP_TRUSTOTHER;
"""

FUNCTIONS = """
/* requests */
OCSP_CERTID *OCSP_cert_to_id(const EVP_MD *, const X509 *, const X509 *);
void OCSP_CERTID_free(OCSP_CERTID *);
OCSP_REQUEST *OCSP_REQUEST_new(void);
void OCSP_REQUEST_free(OCSP_REQUEST *);
OCSP_ONEREQ *OCSP_request_add0_id(OCSP_REQUEST *, OCSP_CERTID *);
int i2d_OCSP_REQUEST(const OCSP_REQUEST *, unsigned char **);

/* responses */
OCSP_RESPONSE *d2i_OCSP_RESPONSE(OCSP_RESPONSE **, const unsigned char **, long);
void OCSP_RESPONSE_free(OCSP_RESPONSE *);
int OCSP_response_status(OCSP_RESPONSE *);
const char *OCSP_response_status_str(long);
OCSP_BASICRESP *OCSP_response_get1_basic(OCSP_RESPONSE *);
void OCSP_BASICRESP_free(OCSP_BASICRESP *);
int OCSP_basic_verify(OCSP_BASICRESP *, nodetls_STACK_OF_X509 *, X509_STORE *, unsigned long);
int OCSP_resp_find_status(OCSP_BASICRESP *, OCSP_CERTID *, int *, int *,
                          ASN1_GENERALIZEDTIME **, ASN1_GENERALIZEDTIME **,
                          ASN1_GENERALIZEDTIME **);
const char *OCSP_crl_reason_str(long);

/* Authority Information Access: the responder URLs (free with X509_email_free) */
nodetls_STACK_OF_OPENSSL_STRING *X509_get1_ocsp(X509 *);
void X509_email_free(nodetls_STACK_OF_OPENSSL_STRING *);
int sk_OPENSSL_STRING_num(const nodetls_STACK_OF_OPENSSL_STRING *);
char *sk_OPENSSL_STRING_value(const nodetls_STACK_OF_OPENSSL_STRING *, int);

/* helpers (csrc/ocsp.c) */
int nodetls_ocsp_time_fields(const ASN1_GENERALIZEDTIME *, int *);
void nodetls_ocsp_set_verify_time(X509_STORE *, int64_t);
"""
