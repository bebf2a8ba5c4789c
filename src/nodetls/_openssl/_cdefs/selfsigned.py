"""Making a key and a self-signed certificate (``nodetls.engine.selfsigned``).

The raw OpenSSL calls that ``openssl req -x509 -newkey`` makes, declared one by one so
the engine can build the certificate step by step in Python: key generation
(``EVP_EC_gen``/``EVP_RSA_gen``, macros over ``EVP_PKEY_Q_keygen``), the ``X509``
setters, v3 extensions from their config-file text (``X509V3_EXT_nconf_nid`` without a
config database), signing, and PEM output.

One helper is C (``csrc/selfsigned.c``): ``nodetls_selfsigned_set_validity`` sets
notBefore/notAfter from seconds since the epoch, because ``time_t`` has no portable cffi
spelling and the engine takes time from its caller rather than reading a clock.
"""

TYPES = """
typedef ... CONF;
typedef ... X509_REQ;
typedef struct { ...; } X509V3_CTX;

static const int MBSTRING_UTF8;
static const int NID_basic_constraints;
static const int NID_subject_key_identifier;
"""

FUNCTIONS = """
EVP_PKEY *EVP_EC_gen(const char *);
EVP_PKEY *EVP_RSA_gen(unsigned int);
int PEM_write_bio_PrivateKey(BIO *, const EVP_PKEY *, const EVP_CIPHER *,
                             const unsigned char *, int, pem_password_cb *, void *);

BIGNUM *BN_bin2bn(const unsigned char *, int, BIGNUM *);
ASN1_INTEGER *BN_to_ASN1_INTEGER(const BIGNUM *, ASN1_INTEGER *);

int X509_set_version(X509 *, long);
ASN1_INTEGER *X509_get_serialNumber(X509 *);
int X509_set_pubkey(X509 *, EVP_PKEY *);
int X509_set_issuer_name(X509 *, const X509_NAME *);
int X509_NAME_add_entry_by_txt(X509_NAME *, const char *, int, const unsigned char *,
                               int, int, int);
int X509_add_ext(X509 *, X509_EXTENSION *, int);
void X509_EXTENSION_free(X509_EXTENSION *);
void X509V3_set_ctx(X509V3_CTX *, X509 *, X509 *, X509_REQ *, X509_CRL *, int);
X509_EXTENSION *X509V3_EXT_nconf_nid(CONF *, X509V3_CTX *, int, const char *);
int X509_sign(X509 *, EVP_PKEY *, const EVP_MD *);

int nodetls_selfsigned_set_validity(X509 *, int64_t, int64_t);
"""
