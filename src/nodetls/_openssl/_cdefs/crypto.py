"""libcrypto basics: error queue, memory BIOs, keys, certificates, stacks, objects.

Every fragment declares its opaque types in TYPES; this one holds the types that the
others share (X509, EVP_PKEY, BIO, the STACK_OF aliases typedef'd in ``csrc/nodetls.h``).
"""

TYPES = """
typedef ... BIO;
typedef ... BIO_METHOD;
typedef ... BIGNUM;
typedef ... BN_CTX;
typedef ... EVP_PKEY;
typedef ... EVP_MD;
typedef ... EVP_CIPHER;
typedef ... EVP_CIPHER_CTX;
typedef ... EVP_MAC;
typedef ... EVP_MAC_CTX;
typedef ... X509;
typedef ... X509_NAME;
typedef ... X509_NAME_ENTRY;
typedef ... X509_CRL;
typedef ... X509_STORE;
typedef ... X509_STORE_CTX;
typedef ... X509_OBJECT;
typedef ... X509_EXTENSION;
typedef ... X509_VERIFY_PARAM;
typedef ... ASN1_OBJECT;
typedef ... ASN1_STRING;
typedef ... ASN1_INTEGER;
typedef ... ASN1_TIME;
typedef ... ASN1_OCTET_STRING;
typedef ... ENGINE;
typedef ... OSSL_LIB_CTX;
typedef ... nodetls_STACK_OF_X509;
typedef ... nodetls_STACK_OF_X509_NAME;
typedef ... nodetls_STACK_OF_X509_CRL;
typedef ... nodetls_STACK_OF_X509_OBJECT;
typedef int pem_password_cb(char *, int, int, void *);

static const long OPENSSL_VERSION_NUMBER;
static const int OPENSSL_VERSION;

static const int ERR_LIB_SSL;
static const int ERR_LIB_X509;
static const int ERR_LIB_PEM;
static const int ERR_LIB_EVP;
static const int ERR_LIB_PKCS12;
static const int ERR_LIB_ASN1;
static const int ERR_TXT_STRING;

static const int EVP_PKEY_RSA;
static const int EVP_PKEY_RSA_PSS;
static const int EVP_PKEY_EC;
static const int EVP_PKEY_DH;
static const int EVP_PKEY_DSA;
static const int EVP_PKEY_ED25519;
static const int EVP_PKEY_ED448;
static const int EVP_PKEY_X25519;
static const int EVP_PKEY_X448;

static const int NID_undef;
static const int NID_subject_alt_name;
static const int NID_info_access;
static const int NID_ext_key_usage;
static const int NID_commonName;

static const int X509_V_OK;
static const int X509_V_FLAG_CRL_CHECK;
static const int X509_V_FLAG_CRL_CHECK_ALL;
static const int X509_V_FLAG_PARTIAL_CHAIN;
static const int X509_LU_X509;
static const int X509_LU_CRL;
"""

FUNCTIONS = """
unsigned long OpenSSL_version_num(void);
const char *OpenSSL_version(int);

/* memory */
void *OPENSSL_malloc(size_t);
void OPENSSL_free(void *);
void OPENSSL_cleanse(void *, size_t);
int CRYPTO_memcmp(const void *, const void *, size_t);
int RAND_bytes(unsigned char *, int);

/* error queue */
unsigned long ERR_get_error(void);
unsigned long ERR_peek_error(void);
unsigned long ERR_peek_last_error(void);
unsigned long ERR_get_error_all(const char **, int *, const char **, const char **, int *);
void ERR_clear_error(void);
void ERR_error_string_n(unsigned long, char *, size_t);
const char *ERR_lib_error_string(unsigned long);
const char *ERR_reason_error_string(unsigned long);
int ERR_GET_LIB(unsigned long);
int ERR_GET_REASON(unsigned long);
int ERR_set_mark(void);
int ERR_pop_to_mark(void);

/* BIO */
const BIO_METHOD *BIO_s_mem(void);
BIO *BIO_new(const BIO_METHOD *);
BIO *BIO_new_mem_buf(const void *, int);
int BIO_free(BIO *);
void BIO_free_all(BIO *);
int BIO_up_ref(BIO *);
int BIO_read(BIO *, void *, int);
int BIO_write(BIO *, const void *, int);
size_t BIO_ctrl_pending(BIO *);
long BIO_set_mem_eof_return(BIO *, long);
long BIO_get_mem_data(BIO *, char **);
long BIO_reset(BIO *);
int BIO_eof(BIO *);

/* BIGNUM */
BIGNUM *BN_new(void);
void BN_free(BIGNUM *);
int BN_num_bits(const BIGNUM *);
char *BN_bn2hex(const BIGNUM *);
int BN_is_zero(const BIGNUM *);

/* digests, ciphers, MACs */
const EVP_MD *EVP_sha1(void);
const EVP_MD *EVP_sha256(void);
const EVP_MD *EVP_sha384(void);
const EVP_MD *EVP_sha512(void);
const EVP_MD *EVP_get_digestbyname(const char *);
int EVP_Digest(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
const EVP_CIPHER *EVP_aes_128_cbc(void);

/* keys */
void EVP_PKEY_free(EVP_PKEY *);
int EVP_PKEY_up_ref(EVP_PKEY *);
int EVP_PKEY_get_id(const EVP_PKEY *);
int EVP_PKEY_get_base_id(const EVP_PKEY *);
int EVP_PKEY_get_bits(const EVP_PKEY *);
int EVP_PKEY_get_security_bits(const EVP_PKEY *);
int EVP_PKEY_get_bn_param(const EVP_PKEY *, const char *, BIGNUM **);
int EVP_PKEY_get_utf8_string_param(const EVP_PKEY *, const char *, char *, size_t, size_t *);
int EVP_PKEY_get_octet_string_param(const EVP_PKEY *, const char *, unsigned char *, size_t,
                                    size_t *);
int i2d_PUBKEY(const EVP_PKEY *, unsigned char **);
EVP_PKEY *PEM_read_bio_PrivateKey(BIO *, EVP_PKEY **, pem_password_cb *, void *);
EVP_PKEY *PEM_read_bio_Parameters(BIO *, EVP_PKEY **);
EVP_PKEY *d2i_PrivateKey_bio(BIO *, EVP_PKEY **);

/* certificates */
X509 *X509_new(void);
void X509_free(X509 *);
int X509_up_ref(X509 *);
X509 *PEM_read_bio_X509(BIO *, X509 **, pem_password_cb *, void *);
X509 *PEM_read_bio_X509_AUX(BIO *, X509 **, pem_password_cb *, void *);
int PEM_write_bio_X509(BIO *, X509 *);
X509 *d2i_X509(X509 **, const unsigned char **, long);
int i2d_X509(X509 *, unsigned char **);
X509 *d2i_X509_bio(BIO *, X509 **);
X509_NAME *X509_get_subject_name(const X509 *);
X509_NAME *X509_get_issuer_name(const X509 *);
EVP_PKEY *X509_get0_pubkey(const X509 *);
EVP_PKEY *X509_get_pubkey(X509 *);
int X509_check_private_key(const X509 *, const EVP_PKEY *);
int X509_check_issued(X509 *, X509 *);
int X509_check_ca(X509 *);
int X509_digest(const X509 *, const EVP_MD *, unsigned char *, unsigned int *);
const char *X509_verify_cert_error_string(long);
X509_CRL *PEM_read_bio_X509_CRL(BIO *, X509_CRL **, pem_password_cb *, void *);
void X509_CRL_free(X509_CRL *);

/* stores */
const char *X509_get_default_cert_file(void);  /* the OS store, as OpenSSL was built */
const char *X509_get_default_cert_dir(void);
const char *X509_get_default_cert_file_env(void);  /* "SSL_CERT_FILE", overriding it */
const char *X509_get_default_cert_dir_env(void);
X509_STORE *X509_STORE_new(void);
void X509_STORE_free(X509_STORE *);
int X509_STORE_up_ref(X509_STORE *);
int X509_STORE_add_cert(X509_STORE *, X509 *);
int X509_STORE_add_crl(X509_STORE *, X509_CRL *);
int X509_STORE_set_flags(X509_STORE *, unsigned long);
nodetls_STACK_OF_X509_OBJECT *X509_STORE_get0_objects(const X509_STORE *);
int X509_OBJECT_get_type(const X509_OBJECT *);
X509 *X509_OBJECT_get0_X509(const X509_OBJECT *);
X509_STORE_CTX *X509_STORE_CTX_new(void);
void X509_STORE_CTX_free(X509_STORE_CTX *);
int X509_STORE_CTX_init(X509_STORE_CTX *, X509_STORE *, X509 *, nodetls_STACK_OF_X509 *);
int X509_STORE_CTX_get1_issuer(X509 **, X509_STORE_CTX *, X509 *);

/* stacks */
nodetls_STACK_OF_X509 *sk_X509_new_null(void);
int sk_X509_num(const nodetls_STACK_OF_X509 *);
X509 *sk_X509_value(const nodetls_STACK_OF_X509 *, int);
int sk_X509_push(nodetls_STACK_OF_X509 *, X509 *);
void sk_X509_free(nodetls_STACK_OF_X509 *);
void sk_X509_pop_free(nodetls_STACK_OF_X509 *, void (*)(X509 *));
int sk_X509_NAME_num(const nodetls_STACK_OF_X509_NAME *);
int sk_X509_OBJECT_num(const nodetls_STACK_OF_X509_OBJECT *);
X509_OBJECT *sk_X509_OBJECT_value(const nodetls_STACK_OF_X509_OBJECT *, int);
int sk_X509_CRL_num(const nodetls_STACK_OF_X509_CRL *);

/* objects */
int OBJ_obj2nid(const ASN1_OBJECT *);
const char *OBJ_nid2sn(int);
const char *OBJ_nid2ln(int);
int OBJ_sn2nid(const char *);
int OBJ_txt2nid(const char *);
int OBJ_obj2txt(char *, int, const ASN1_OBJECT *, int);
"""
