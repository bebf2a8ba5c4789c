"""What a secure context needs beyond ``ssl.py``: PKCS#12, ENGINE, and two C helpers.

* Private keys are read through a C password callback that hands OpenSSL exactly the
  bytes of the passphrase (or nothing), as Node's ``PasswordCallback`` does; OpenSSL's
  default callback would otherwise prompt on the terminal.
* Session tickets use Node's 48-byte key layout (16-byte name, 16-byte HMAC-SHA256
  secret, 16-byte AES-128-CBC key), as a ring: the first key encrypts, every key
  decrypts (found by its name), and a ticket under an older key is renewed under the
  first.  One key behaves exactly as Node's.  The keys live in a C struct hung on the
  ``SSL_CTX`` through ex_data, freed by OpenSSL together with the context, and the
  ticket callback is plain C: no Python runs during a handshake for tickets, and
  tickets move between nodetls and Node servers that share keys.  A ticket whose
  name is not ours is refused (return 0) so the peer falls back to a full handshake
  and gets a fresh ticket, exactly as Node's ``TicketCompatibilityCallback``.  One
  deliberate difference: a TLS 1.3 ticket that decrypts asks for renewal (return 2),
  so a resumed connection gets a new ticket, as OpenSSL's built-in keys do (Node's
  callback returns 1 and its resumed TLS 1.3 connections get none).
* ``nodetls_session_cache_set_size(ctx, n)`` makes OpenSSL's internal session cache hold
  ``n`` sessions.  OpenSSL 3.0 evicts as soon as the count, the new session included,
  reaches the configured size, so it holds one fewer (later versions hold ``n``); the
  difference is measured once on a scratch context rather than guessed from a version.
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
int nodetls_ticket_keys_set(SSL_CTX *, const unsigned char *, size_t);
size_t nodetls_ticket_keys_count(SSL_CTX *);
int nodetls_ticket_keys_get(SSL_CTX *, unsigned char *, size_t);
long nodetls_session_cache_set_size(SSL_CTX *, long);
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

/* ---- session tickets: Node's 48-byte key layout, a ring of them --------------------- */

#define NODETLS_TICKET_KEYS_LEN 48

typedef struct {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} nodetls_ticket_key;

/* The ring: key[0] encrypts, every key decrypts.  Replaced whole by a set (one
   allocation), so a handshake never sees half a ring. */
typedef struct {
    size_t count;
    nodetls_ticket_key key[];
} nodetls_ticket_keys;

static int nodetls_ticket_index = -1;
static CRYPTO_ONCE nodetls_ticket_once = CRYPTO_ONCE_STATIC_INIT;
/* A set frees the ring it replaces, and cffi releases the GIL around OpenSSL calls: a
   handshake on another thread (the blocking SSLSocket face) must not read a freed ring.
   The callback holds the read side while it uses a key; a set holds the write side. */
static CRYPTO_RWLOCK *nodetls_ticket_lock = NULL;

static size_t nodetls_ticket_keys_size(size_t count)
{
    return sizeof(nodetls_ticket_keys) + count * sizeof(nodetls_ticket_key);
}

static void nodetls_ticket_keys_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                                     int idx, long argl, void *argp)
{
    nodetls_ticket_keys *keys = ptr;
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    if (keys != NULL)
        OPENSSL_clear_free(keys, nodetls_ticket_keys_size(keys->count));
}

static void nodetls_ticket_index_init(void)
{
    nodetls_ticket_lock = CRYPTO_THREAD_lock_new();
    if (nodetls_ticket_lock != NULL)
        nodetls_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
                                                        nodetls_ticket_keys_free);
}

static nodetls_ticket_keys *nodetls_ticket_keys_of(SSL_CTX *ctx)
{
    if (nodetls_ticket_index < 0)
        return NULL;
    return (nodetls_ticket_keys *)SSL_CTX_get_ex_data(ctx, nodetls_ticket_index);
}

/* The key a ticket names, or NULL: one pass over a handful of 16-byte names. */
static const nodetls_ticket_key *nodetls_ticket_key_named(const nodetls_ticket_keys *keys,
                                                          const unsigned char name[16])
{
    size_t i;
    for (i = 0; i < keys->count; i++)
        if (CRYPTO_memcmp(name, keys->key[i].name, 16) == 0)
            return &keys->key[i];
    return NULL;
}

static int nodetls_ticket_key_use(SSL *ssl, unsigned char name[16], unsigned char *iv,
                                  EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    nodetls_ticket_keys *keys = nodetls_ticket_keys_of(SSL_get_SSL_CTX(ssl));
    const nodetls_ticket_key *key;
    OSSL_PARAM params[3];
    char digest[] = "SHA256";

    if (keys == NULL || keys->count == 0)
        return -1;
    if (enc) {
        key = &keys->key[0];
        memcpy(name, key->name, sizeof(key->name));
        if (RAND_bytes(iv, 16) <= 0)
            return -1;
    } else if ((key = nodetls_ticket_key_named(keys, name)) == NULL) {
        return 0;  /* not our key: full handshake, then a fresh ticket */
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key->hmac,
                                                  sizeof(key->hmac));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_CTX_set_params(hctx, params))
        return -1;
    if (enc) {
        if (EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key->aes, iv) <= 0)
            return -1;
        return 1;
    }
    if (EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key->aes, iv) <= 0)
        return -1;
    /* 2 ("renew") sends a fresh ticket under key[0] on the resumed connection: always
       for a ticket under an older key of the ring, so clients move to the current key
       before the old one leaves the ring.  TLS 1.3 also renews tickets under the
       current key, as OpenSSL does without a key callback; with Node's 1 a client that
       uses each ticket once (RFC 8446 C.4) runs out of tickets.  TLS 1.2 tickets under
       the current key stay reusable: 1, as Node. */
    if (key != &keys->key[0] || SSL_version(ssl) == TLS1_3_VERSION)
        return 2;
    return 1;
}

static int nodetls_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
                                 EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    int ret;
    if (!CRYPTO_THREAD_read_lock(nodetls_ticket_lock))
        return -1;
    ret = nodetls_ticket_key_use(ssl, name, iv, cctx, hctx, enc);
    CRYPTO_THREAD_unlock(nodetls_ticket_lock);
    return ret;
}

/* A ring of count keys (Node's layout each) made from in, or random when in is NULL. */
static nodetls_ticket_keys *nodetls_ticket_keys_new(const unsigned char *in, size_t count)
{
    nodetls_ticket_keys *keys = OPENSSL_zalloc(nodetls_ticket_keys_size(count));
    if (keys == NULL)
        return NULL;
    keys->count = count;
    if (in != NULL) {
        memcpy(keys->key, in, count * sizeof(nodetls_ticket_key));
    } else if (RAND_bytes((unsigned char *)keys->key,
                          (int)(count * sizeof(nodetls_ticket_key))) <= 0) {
        OPENSSL_clear_free(keys, nodetls_ticket_keys_size(count));
        return NULL;
    }
    return keys;
}

/* One random key, attached to ctx and freed with it; installs the ticket callback. */
int nodetls_ticket_keys_install(SSL_CTX *ctx)
{
    nodetls_ticket_keys *keys;

    if (!CRYPTO_THREAD_run_once(&nodetls_ticket_once, nodetls_ticket_index_init)
        || nodetls_ticket_index < 0)
        return 0;
    if (nodetls_ticket_keys_of(ctx) != NULL)
        return 1;
    keys = nodetls_ticket_keys_new(NULL, 1);
    if (keys == NULL)
        return 0;
    if (!SSL_CTX_set_ex_data(ctx, nodetls_ticket_index, keys)) {
        OPENSSL_clear_free(keys, nodetls_ticket_keys_size(1));
        return 0;
    }
    return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, nodetls_ticket_key_cb) == 1;
}

/* Replace the ring with count keys of 48 bytes each, in order (the first encrypts). */
int nodetls_ticket_keys_set(SSL_CTX *ctx, const unsigned char *in, size_t count)
{
    nodetls_ticket_keys *old, *keys;
    int ok;
    if (nodetls_ticket_lock == NULL || count == 0
        || (keys = nodetls_ticket_keys_new(in, count)) == NULL)
        return 0;
    if (!CRYPTO_THREAD_write_lock(nodetls_ticket_lock)) {
        OPENSSL_clear_free(keys, nodetls_ticket_keys_size(count));
        return 0;
    }
    old = nodetls_ticket_keys_of(ctx);
    ok = old != NULL && SSL_CTX_set_ex_data(ctx, nodetls_ticket_index, keys);
    CRYPTO_THREAD_unlock(nodetls_ticket_lock);
    if (!ok) {
        OPENSSL_clear_free(keys, nodetls_ticket_keys_size(count));
        return 0;
    }
    OPENSSL_clear_free(old, nodetls_ticket_keys_size(old->count));
    return 1;
}

/* The number of keys in the ring (0: none installed). */
size_t nodetls_ticket_keys_count(SSL_CTX *ctx)
{
    nodetls_ticket_keys *keys;
    size_t count;
    if (nodetls_ticket_lock == NULL || !CRYPTO_THREAD_read_lock(nodetls_ticket_lock))
        return 0;
    keys = nodetls_ticket_keys_of(ctx);
    count = keys == NULL ? 0 : keys->count;
    CRYPTO_THREAD_unlock(nodetls_ticket_lock);
    return count;
}

/* Copies the whole ring, 48 bytes a key, into out (room for count keys). */
int nodetls_ticket_keys_get(SSL_CTX *ctx, unsigned char *out, size_t count)
{
    nodetls_ticket_keys *keys;
    int ok;
    if (nodetls_ticket_lock == NULL || !CRYPTO_THREAD_read_lock(nodetls_ticket_lock))
        return 0;
    keys = nodetls_ticket_keys_of(ctx);
    ok = keys != NULL && count >= keys->count;
    if (ok)
        memcpy(out, keys->key, keys->count * sizeof(nodetls_ticket_key));
    CRYPTO_THREAD_unlock(nodetls_ticket_lock);
    return ok;
}

static long nodetls_session_cache_slack(void)
{
    static long slack = -1;
    SSL_CTX *ctx;
    SSL_SESSION *session;
    unsigned char id;
    if (slack >= 0)
        return slack;
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return 0;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_AUTO_CLEAR);
    SSL_CTX_sess_set_cache_size(ctx, 2);
    for (id = 1; id <= 3; id++) {
        if ((session = SSL_SESSION_new()) == NULL)
            break;
        if (SSL_SESSION_set1_id(session, &id, 1))
            SSL_CTX_add_session(ctx, session);
        SSL_SESSION_free(session);
    }
    slack = SSL_CTX_sess_number(ctx) < 2 ? 1 : 0;
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return slack;
}

long nodetls_session_cache_set_size(SSL_CTX *ctx, long size)
{
    return SSL_CTX_sess_set_cache_size(ctx, size + nodetls_session_cache_slack());
}
"""
