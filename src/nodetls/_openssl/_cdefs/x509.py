"""cdef of certificate fields the way Node prints them, and Node's table of verify codes.

The C is ``csrc/x509.c`` (ported from Node's ``crypto_common.cc``; theory of operation
there).  Every helper is prefixed ``nodetls_certinfo_`` or ``nodetls_verify_``: this
module declares no raw OpenSSL names, so it cannot collide with the other modules.
String results go to a caller-owned memory BIO; tri-state returns mirror Node's
``undefined`` / ``null`` / value as -1 / 0 / 1.
"""

TYPES = """
"""

FUNCTIONS = """
/* subject / issuer: entry i of the name; -1 past the end, -2 if the value does not
   convert to UTF-8 (Node then drops the whole object).  *value is OPENSSL_malloc'd. */
int nodetls_certinfo_name_entry(X509 *, int, int, char *, int, unsigned char **, int *);

int nodetls_certinfo_subjectaltname(X509 *, BIO *);
int nodetls_certinfo_info_access(X509 *, BIO *);
int nodetls_certinfo_ext_key_usage(X509 *, BIO *);

/* 1 RSA, 2 EC, 0 anything else (Node prints key fields for these two only). */
int nodetls_certinfo_key_kind(X509 *);
int nodetls_certinfo_rsa_modulus(X509 *, BIO *);
int nodetls_certinfo_rsa_bits(X509 *);
int nodetls_certinfo_rsa_exponent(X509 *, BIO *);
int nodetls_certinfo_rsa_pubkey(X509 *, unsigned char **);
int nodetls_certinfo_ec_bits(X509 *);
int nodetls_certinfo_ec_pubkey(X509 *, unsigned char **);
int nodetls_certinfo_ec_curve_nid(X509 *);
const char *nodetls_certinfo_nist_name(int);

int nodetls_certinfo_validity(X509 *, int, BIO *);
char *nodetls_certinfo_serial(X509 *);

/* Node's X509ErrorCode table: entry i as (OpenSSL code, Node name); 0 past the end. */
int nodetls_verify_code_entry(int, long *, const char **);
/* X509_verify_cert for a TLS peer of the given purpose ("ssl_server"/"ssl_client") with
   Node's accept-all verify callback; the X509_V_* result as SSL_get_verify_result would
   report it, or -1 if the store context could not be set up. */
long nodetls_verify_chain(X509_STORE *, X509 *, nodetls_STACK_OF_X509 *, const char *);
"""
