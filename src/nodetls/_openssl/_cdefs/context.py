"""What a secure context needs beyond ``ssl.py``: PKCS#12, ENGINE, and C helpers.

The helpers are C, in ``csrc/context.c`` (theory of operation there): reading a private
key with exactly the given passphrase bytes (Node's ``PasswordCallback``), Node's
48-byte session-ticket keys as a ring, and a session cache size that means the same on
every OpenSSL 3.x.  ENGINE support is optional in OpenSSL builds; ``NODETLS_HAS_ENGINE``
says whether the ENGINE functions below do anything (Node then reports
``ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED``).
"""

TYPES = """
typedef ... PKCS12;
typedef ... UI_METHOD;

static const int NODETLS_HAS_ENGINE;
static const int NODETLS_TICKET_KEYS_LEN;

static const int ERR_LIB_SYS;
static const int ERR_LIB_BN;
static const int ERR_LIB_RSA;
static const int ERR_LIB_DH;
static const int ERR_LIB_BUF;
static const int ERR_LIB_OBJ;
static const int ERR_LIB_DSA;
static const int ERR_LIB_CONF;
static const int ERR_LIB_CRYPTO;
static const int ERR_LIB_EC;
static const int ERR_LIB_BIO;
static const int ERR_LIB_PKCS7;
static const int ERR_LIB_X509V3;
static const int ERR_LIB_RAND;
static const int ERR_LIB_DSO;
static const int ERR_LIB_ENGINE;
static const int ERR_LIB_OCSP;
static const int ERR_LIB_UI;
static const int ERR_LIB_COMP;
static const int ERR_LIB_ECDSA;
static const int ERR_LIB_ECDH;
static const int ERR_LIB_OSSL_STORE;
static const int ERR_LIB_FIPS;
static const int ERR_LIB_CMS;
static const int ERR_LIB_TS;
static const int ERR_LIB_HMAC;
static const int ERR_LIB_CT;
static const int ERR_LIB_ASYNC;
static const int ERR_LIB_KDF;
static const int ERR_LIB_SM2;
static const int ERR_LIB_USER;

static const int PEM_R_NO_START_LINE;
static const int EVP_PKEY_DHX;
static const long SSL_OP_CISCO_ANYCONNECT;
static const int SSL_R_NO_CIPHER_MATCH;
static const int SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
"""

FUNCTIONS = """
/* PKCS#12 (options.pfx) */
PKCS12 *d2i_PKCS12_bio(BIO *, PKCS12 **);
int PKCS12_parse(PKCS12 *, const char *, EVP_PKEY **, X509 **, nodetls_STACK_OF_X509 **);
void PKCS12_free(PKCS12 *);

/* the printed form of the error queue (Node's setSessionIdContext message) */
void ERR_print_errors(BIO *);

X509 *X509_dup(const X509 *);
long SSL_CTX_clear_extra_chain_certs(SSL_CTX *);

/* ENGINE (options.clientCertEngine, privateKeyEngine) */
ENGINE *ENGINE_by_id(const char *);
int ENGINE_ctrl_cmd_string(ENGINE *, const char *, const char *, int);
int ENGINE_init(ENGINE *);
int ENGINE_finish(ENGINE *);
int ENGINE_free(ENGINE *);
EVP_PKEY *ENGINE_load_private_key(ENGINE *, const char *, UI_METHOD *, void *);
int SSL_CTX_set_client_cert_engine(SSL_CTX *, ENGINE *);

/* nodetls helpers (csrc/context.c) */
EVP_PKEY *nodetls_read_private_key(BIO *, const unsigned char *, int);
int nodetls_ticket_keys_install(SSL_CTX *);
int nodetls_ticket_keys_set(SSL_CTX *, const unsigned char *, size_t);
size_t nodetls_ticket_keys_count(SSL_CTX *);
int nodetls_ticket_keys_get(SSL_CTX *, unsigned char *, size_t);
long nodetls_session_cache_set_size(SSL_CTX *, long);
"""
