"""What a secure context needs beyond ``ssl.py``: PKCS#12, ENGINE, and two C helpers.

* Private keys are read through a C password callback that hands OpenSSL exactly the
  bytes of the passphrase (or nothing), as Node's ``PasswordCallback`` does; OpenSSL's
  default callback would otherwise prompt on the terminal.
* Session tickets use Node's 48-byte key layout (16-byte name, 16-byte HMAC-SHA256
  secret, 16-byte AES-128-CBC key).  The keys live in a C struct hung on the
  ``SSL_CTX`` through ex_data, freed by OpenSSL together with the context, and the
  ticket callback is plain C: no Python runs during a handshake for tickets, and
  tickets move between nodetls and Node servers that share keys.  A ticket whose
  name is not ours is refused (return 0) so the peer falls back to a full handshake
  and gets a fresh ticket, exactly as Node's ``TicketCompatibilityCallback``.  One
  deliberate difference: a TLS 1.3 ticket that decrypts asks for renewal (return 2),
  so a resumed connection gets a new ticket, as OpenSSL's built-in keys do (Node's
  callback returns 1 and its resumed TLS 1.3 connections get none).
* ENGINE support is optional in OpenSSL builds; ``Nodetls_HAS_ENGINE`` says whether
  the functions below do anything (Node then reports
  ``ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED``).
"""

INCLUDES = """
#include <string.h>
#include <openssl/pkcs12.h>
#include <openssl/core_names.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif
"""

TYPES = """
typedef ... PKCS12;
typedef ... UI_METHOD;

static const int Nodetls_HAS_ENGINE;
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
int PKCS12_parse(PKCS12 *, const char *, EVP_PKEY **, X509 **, Nodetls_STACK_OF_X509 **);
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

/* nodetls helpers (CUSTOMIZATIONS below) */
EVP_PKEY *nodetls_read_private_key(BIO *, const unsigned char *, int);
int nodetls_ticket_keys_install(SSL_CTX *);
int nodetls_ticket_keys_set(SSL_CTX *, const unsigned char *);
int nodetls_ticket_keys_get(SSL_CTX *, unsigned char *);
"""

CUSTOMIZATIONS = r"""
#ifdef OPENSSL_NO_ENGINE
static const int Nodetls_HAS_ENGINE = 0;
static ENGINE *ENGINE_by_id(const char *id) { (void)id; return NULL; }
static int ENGINE_ctrl_cmd_string(ENGINE *e, const char *a, const char *b, int c)
{ (void)e; (void)a; (void)b; (void)c; return 0; }
static int ENGINE_init(ENGINE *e) { (void)e; return 0; }
static int ENGINE_finish(ENGINE *e) { (void)e; return 0; }
static int ENGINE_free(ENGINE *e) { (void)e; return 0; }
static EVP_PKEY *ENGINE_load_private_key(ENGINE *e, const char *k, UI_METHOD *u, void *d)
{ (void)e; (void)k; (void)u; (void)d; return NULL; }
static int SSL_CTX_set_client_cert_engine(SSL_CTX *c, ENGINE *e) { (void)c; (void)e; return 0; }
#else
static const int Nodetls_HAS_ENGINE = 1;
#endif

/* ---- private keys: the passphrase is exactly these bytes (Node's PasswordCallback) */

typedef struct {
    const unsigned char *data;
    int len;
} nodetls_passphrase;

static int nodetls_passphrase_cb(char *buf, int size, int rwflag, void *u)
{
    const nodetls_passphrase *pass = (const nodetls_passphrase *)u;
    (void)rwflag;
    if (pass == NULL || pass->data == NULL || pass->len == 0)
        return 0;
    if (size < pass->len)
        return -1;
    memcpy(buf, pass->data, (size_t)pass->len);
    return pass->len;
}

EVP_PKEY *nodetls_read_private_key(BIO *bio, const unsigned char *data, int len)
{
    nodetls_passphrase pass;
    pass.data = data;
    pass.len = len;
    return PEM_read_bio_PrivateKey(bio, NULL, nodetls_passphrase_cb, &pass);
}

/* ---- session tickets: Node's 48-byte key layout --------------------------------- */

#define NODETLS_TICKET_KEYS_LEN 48

typedef struct {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} nodetls_ticket_keys;

static int nodetls_ticket_index = -1;
static CRYPTO_ONCE nodetls_ticket_once = CRYPTO_ONCE_STATIC_INIT;

static void nodetls_ticket_keys_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                                     int idx, long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    if (ptr != NULL)
        OPENSSL_clear_free(ptr, sizeof(nodetls_ticket_keys));
}

static void nodetls_ticket_index_init(void)
{
    nodetls_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
                                                    nodetls_ticket_keys_free);
}

static nodetls_ticket_keys *nodetls_ticket_keys_of(SSL_CTX *ctx)
{
    if (nodetls_ticket_index < 0)
        return NULL;
    return (nodetls_ticket_keys *)SSL_CTX_get_ex_data(ctx, nodetls_ticket_index);
}

static int nodetls_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
                                 EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    nodetls_ticket_keys *keys = nodetls_ticket_keys_of(SSL_get_SSL_CTX(ssl));
    OSSL_PARAM params[3];
    char digest[] = "SHA256";

    if (keys == NULL)
        return -1;
    if (enc) {
        memcpy(name, keys->name, sizeof(keys->name));
        if (RAND_bytes(iv, 16) <= 0)
            return -1;
    } else if (CRYPTO_memcmp(name, keys->name, sizeof(keys->name)) != 0) {
        return 0;  /* not our key: full handshake, then a fresh ticket */
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, keys->hmac,
                                                  sizeof(keys->hmac));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_CTX_set_params(hctx, params))
        return -1;
    if (enc) {
        if (EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, keys->aes, iv) <= 0)
            return -1;
    } else if (EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, keys->aes, iv) <= 0) {
        return -1;
    }
    /* TLS 1.3: 2 ("renew") makes OpenSSL send a fresh ticket on a resumed connection,
       as it does without a key callback; with Node's 1 a client that uses each ticket
       once (RFC 8446 C.4) runs out of tickets.  TLS 1.2 tickets stay reusable: 1. */
    return (!enc && SSL_version(ssl) == TLS1_3_VERSION) ? 2 : 1;
}

/* Random keys, attached to ctx and freed with it; installs the ticket callback. */
int nodetls_ticket_keys_install(SSL_CTX *ctx)
{
    nodetls_ticket_keys *keys;

    if (!CRYPTO_THREAD_run_once(&nodetls_ticket_once, nodetls_ticket_index_init)
        || nodetls_ticket_index < 0)
        return 0;
    if (nodetls_ticket_keys_of(ctx) != NULL)
        return 1;
    keys = OPENSSL_zalloc(sizeof(*keys));
    if (keys == NULL)
        return 0;
    if (RAND_bytes((unsigned char *)keys, sizeof(*keys)) <= 0
        || !SSL_CTX_set_ex_data(ctx, nodetls_ticket_index, keys)) {
        OPENSSL_clear_free(keys, sizeof(*keys));
        return 0;
    }
    return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, nodetls_ticket_key_cb) == 1;
}

int nodetls_ticket_keys_set(SSL_CTX *ctx, const unsigned char *in)
{
    nodetls_ticket_keys *keys = nodetls_ticket_keys_of(ctx);
    if (keys == NULL)
        return 0;
    memcpy(keys->name, in, 16);
    memcpy(keys->hmac, in + 16, 16);
    memcpy(keys->aes, in + 32, 16);
    return 1;
}

int nodetls_ticket_keys_get(SSL_CTX *ctx, unsigned char *out)
{
    nodetls_ticket_keys *keys = nodetls_ticket_keys_of(ctx);
    if (keys == NULL)
        return 0;
    memcpy(out, keys->name, 16);
    memcpy(out + 16, keys->hmac, 16);
    memcpy(out + 32, keys->aes, 16);
    return 1;
}
"""
