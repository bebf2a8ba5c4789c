/* csrc/engine.c: the engine's C side: per-connection slot and callback trampolines.
 *
 * Theory of operation.  Every SSL* made by the engine carries a small C struct, the
 * *slot*, in its ex_data.  The slot holds the ffi.new_handle that leads back to the
 * Python engine, a word of flags telling the C trampolines which Python callbacks are
 * wanted, and the few values OpenSSL asks for synchronously (the server's ALPN list, a
 * session to resume).  Callbacks OpenSSL makes are plain C functions here that look at
 * the flags first and only cross into Python (extern "Python", bodies in
 * nodetls.engine.callbacks) when the engine asked for it; a connection that uses no
 * Node hooks calls Python only to report that a handshake started or finished.
 *
 * The hot loops (feed, receive, write, drain) are C as well: csrc/engine_io.c.
 *
 * The slot is allocated and freed here, with the SSL*: nodetls_engine_free is the
 * ffi.gc destructor, so the slot can never be freed before the SSL* that points
 * to it.
 */

#include "nodetls.h"

#include <stdlib.h>

#define NODETLS_ENGINE_SERVER      0x01  /* the connection is a server */
#define NODETLS_ENGINE_SESSION_CB  0x02  /* report new sessions (server: hold output) */
#define NODETLS_ENGINE_HELLO_CB    0x04  /* pause at the ClientHello until resumed */
#define NODETLS_ENGINE_CERT_CB     0x08  /* pause at the cert callback until done */
#define NODETLS_ENGINE_KEYLOG      0x10  /* report key log lines */
#define NODETLS_ENGINE_ALPN_CB     0x20  /* server: ALPN chosen by a Python callable */
#define NODETLS_ENGINE_STOP        0x40  /* a Python callback failed: stop looping */
#define NODETLS_ENGINE_REFUSING    0x80  /* server: refusing a client's renegotiation */
#define NODETLS_ENGINE_SETTLING    0x100 /* handshake done: trim the write BIO once empty */
#define NODETLS_ENGINE_MAX_SESSION_SIZE (10 * 1024)  /* Node's kMaxSessionSize */

typedef struct {
    void *handle;                 /* ffi.new_handle(weakref(engine)) */
    int flags;
    size_t read_progress;         /* plaintext bytes read so far in this read call */
    size_t io_len;                /* bytes moved by the last receive/write call */
    unsigned char *alpn;          /* server's ALPN wire list (owned) */
    unsigned int alpn_len;
    unsigned char *npn;           /* NPN wire list, either side (owned) */
    unsigned int npn_len;
    int npn_status;               /* client: 1 + SSL_select_next_proto's result */
    SSL_SESSION *next_session;    /* owned: handed to the get-session callback */
    BIO *trace_bio;               /* owned: SSL_trace output (fd 2) */
} nodetls_engine_slot;

/* The extern "Python" callbacks of _cdefs/engine.py: cffi defines them after the last
   file of csrc/, in the same translation unit (so a compile of this file alone reports
   them as used but never defined). */
static void nodetls_engine_py_handshake(const SSL *, int);
static void nodetls_engine_py_keylog(const SSL *, const char *);
static int nodetls_engine_py_new_session(SSL *, SSL_SESSION *);
static int nodetls_engine_py_client_hello(SSL *);
static int nodetls_engine_py_cert(SSL *);
static int nodetls_engine_py_status(SSL *);
static int nodetls_engine_py_alpn(SSL *, const unsigned char **, unsigned char *,
                                  const unsigned char *, unsigned int);
static unsigned int nodetls_engine_py_psk_server(SSL *, const char *, unsigned char *,
                                                 unsigned int);
static unsigned int nodetls_engine_py_psk_client(SSL *, const char *, char *, unsigned int,
                                                 unsigned char *, unsigned int);

static int nodetls_engine_ex_index(void)
{
    static int index = -1;
    if (index < 0)
        index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return index;
}

static nodetls_engine_slot *nodetls_engine_slot_of(const SSL *ssl)
{
    return (nodetls_engine_slot *)SSL_get_ex_data(ssl, nodetls_engine_ex_index());
}

static int nodetls_engine_wants(const SSL *ssl, int flag)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    return slot != NULL && slot->handle != NULL && (slot->flags & flag) != 0;
}

/* Node's model: the handshake never fails on chain errors; the result is read later. */
static int nodetls_engine_verify_accept(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    (void)store;
    return 1;
}

static void nodetls_engine_info_cb(const SSL *ssl, int where, int ret)
{
    nodetls_engine_slot *slot;
    (void)ret;
    if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)))
        return;
    /* Without SSL_OP_ALLOW_CLIENT_RENEGOTIATION a server answers a client's renegotiation
       ClientHello with a no_renegotiation warning, yet reports START/DONE around it: no
       handshake took place, so neither is reported (nor counted against the limit). */
    slot = nodetls_engine_slot_of(ssl);
    if (slot != NULL && SSL_is_server((SSL *)ssl) && SSL_version(ssl) < TLS1_3_VERSION) {
        if ((where & SSL_CB_HANDSHAKE_START) && SSL_get_peer_finished(ssl, NULL, 0) != 0
                && !SSL_renegotiate_pending((SSL *)ssl)
                && !(SSL_get_options(ssl) & SSL_OP_ALLOW_CLIENT_RENEGOTIATION)) {
            slot->flags |= NODETLS_ENGINE_REFUSING;
            return;
        }
        if ((where & SSL_CB_HANDSHAKE_DONE) && (slot->flags & NODETLS_ENGINE_REFUSING)) {
            slot->flags &= ~NODETLS_ENGINE_REFUSING;
            return;
        }
    }
    /* The resumeSession answer served this handshake only (not a renegotiation). */
    if ((where & SSL_CB_HANDSHAKE_DONE) && (slot = nodetls_engine_slot_of(ssl)) != NULL) {
        slot->flags |= NODETLS_ENGINE_SETTLING;
        SSL_SESSION_free(slot->next_session);
        slot->next_session = NULL;
    }
    /* A HelloRequest also reports START/DONE: not a finished handshake (as Node). */
    if ((where & SSL_CB_HANDSHAKE_DONE) && SSL_renegotiate_pending((SSL *)ssl))
        where &= ~SSL_CB_HANDSHAKE_DONE;
    if (where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE))
        if (nodetls_engine_slot_of(ssl) != NULL)
            nodetls_engine_py_handshake(ssl, where);
}

static void nodetls_engine_keylog_cb(const SSL *ssl, const char *line)
{
    if (nodetls_engine_wants(ssl, NODETLS_ENGINE_KEYLOG))
        nodetls_engine_py_keylog(ssl, line);
}

static int nodetls_engine_new_session_cb(SSL *ssl, SSL_SESSION *session)
{
    if (!nodetls_engine_wants(ssl, NODETLS_ENGINE_SESSION_CB))
        return 0;
    if (i2d_SSL_SESSION(session, NULL) > NODETLS_ENGINE_MAX_SESSION_SIZE)
        return 0;
    return nodetls_engine_py_new_session(ssl, session);
}

static SSL_SESSION *nodetls_engine_get_session_cb(SSL *ssl, const unsigned char *id,
                                                  int len, int *copy)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    (void)id;
    (void)len;
    /* OpenSSL takes a reference of its own (copy = 1) and ours stays in the slot: after a
       HelloRetryRequest the second TLS 1.3 ClientHello looks the session up again. */
    *copy = 1;
    return slot == NULL ? NULL : slot->next_session;
}

static int nodetls_engine_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    int rv;
    (void)arg;
    if (!nodetls_engine_wants(ssl, NODETLS_ENGINE_HELLO_CB))
        return SSL_CLIENT_HELLO_SUCCESS;
    rv = nodetls_engine_py_client_hello(ssl);
    if (rv == SSL_CLIENT_HELLO_ERROR)
        *alert = SSL_AD_INTERNAL_ERROR;
    return rv;
}

static int nodetls_engine_cert_cb(SSL *ssl, void *arg)
{
    (void)arg;
    if (!SSL_is_server(ssl) || !nodetls_engine_wants(ssl, NODETLS_ENGINE_CERT_CB))
        return 1;
    return nodetls_engine_py_cert(ssl);
}

static int nodetls_engine_status_cb(SSL *ssl, void *arg)
{
    (void)arg;
    if (nodetls_engine_slot_of(ssl) == NULL)
        return SSL_is_server(ssl) ? SSL_TLSEXT_ERR_NOACK : 1;
    return nodetls_engine_py_status(ssl);
}

static int nodetls_engine_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                  const unsigned char *in, unsigned int inlen, void *arg)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    (void)arg;
    if (slot == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    if (slot->flags & NODETLS_ENGINE_ALPN_CB)
        return nodetls_engine_py_alpn(ssl, out, outlen, in, inlen);
    if (slot->alpn == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    /* Server preference first; no overlap is a fatal no_application_protocol (RFC 7301). */
    if (SSL_select_next_proto((unsigned char **)out, outlen, slot->alpn, slot->alpn_len,
                              in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

/* NPN (TLS <= 1.2; Node v0.x-v9's NPNProtocols): the server advertises its list... */
static int nodetls_engine_npn_advertise_cb(SSL *ssl, const unsigned char **data,
                                           unsigned int *len, void *arg)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    (void)arg;
    if (slot == NULL || slot->npn == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    *data = slot->npn;
    *len = slot->npn_len;
    return SSL_TLSEXT_ERR_OK;
}

/* ...and the client picks from it (Node 0.10's SelectNextProtoCallback: a client
   without a list of its own still has to pick one, and picks "http/1.1"). */
static int nodetls_engine_npn_select_cb(SSL *ssl, unsigned char **out, unsigned char *outlen,
                                        const unsigned char *in, unsigned int inlen, void *arg)
{
    static unsigned char http11[] = "http/1.1";
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    (void)arg;
    if (slot == NULL || slot->npn == NULL) {
        *out = http11;
        *outlen = 8;
        if (slot != NULL)
            slot->npn_status = 1 + OPENSSL_NPN_NO_OVERLAP;  /* Node v8: npnProtocol false */
        return SSL_TLSEXT_ERR_OK;
    }
    slot->npn_status = 1 + SSL_select_next_proto(out, outlen, in, inlen, slot->npn,
                                                 slot->npn_len);
    return SSL_TLSEXT_ERR_OK;
}

/* Client: -1 if the select callback never ran (the server advertised no NPN), else
   OPENSSL_NPN_NEGOTIATED or OPENSSL_NPN_NO_OVERLAP (Node v8's selected_npn_buffer). */
static int nodetls_engine_npn_status(const SSL *ssl)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    return slot == NULL ? -1 : slot->npn_status - 1;
}

static void nodetls_engine_trace_cb(int write_p, int version, int content_type,
                                    const void *buf, size_t len, SSL *ssl, void *arg)
{
    /* Tracing is best effort: keep its BIO errors off the queue (as Node). */
    ERR_set_mark();
    SSL_trace(write_p, version, content_type, buf, len, ssl, arg);
    ERR_pop_to_mark();
}

static void nodetls_engine_install_ctx(SSL_CTX *ctx)
{
    SSL_CTX_sess_set_new_cb(ctx, nodetls_engine_new_session_cb);
    SSL_CTX_sess_set_get_cb(ctx, nodetls_engine_get_session_cb);
    SSL_CTX_set_client_hello_cb(ctx, nodetls_engine_client_hello_cb, NULL);
    SSL_CTX_set_tlsext_status_cb(ctx, nodetls_engine_status_cb);
    SSL_CTX_set_tlsext_status_arg(ctx, NULL);
    SSL_CTX_set_alpn_select_cb(ctx, nodetls_engine_alpn_cb, NULL);
}

static void nodetls_engine_enable_keylog(SSL_CTX *ctx)
{
    SSL_CTX_set_keylog_callback(ctx, nodetls_engine_keylog_cb);
}

static void nodetls_engine_enable_psk(SSL *ssl)
{
    SSL_set_psk_server_callback(ssl, nodetls_engine_py_psk_server);
    SSL_set_psk_client_callback(ssl, nodetls_engine_py_psk_client);
}

static int nodetls_engine_enable_trace(SSL *ssl)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    if (slot == NULL)
        return 0;
    if (slot->trace_bio == NULL)
        slot->trace_bio = BIO_new_fd(2, BIO_NOCLOSE);
    if (slot->trace_bio == NULL)
        return 0;
    SSL_set_msg_callback(ssl, nodetls_engine_trace_cb);
    SSL_set_msg_callback_arg(ssl, slot->trace_bio);
    return 1;
}

static void nodetls_engine_set_verify(SSL *ssl, int mode)
{
    SSL_set_verify(ssl, mode, nodetls_engine_verify_accept);
}

static int nodetls_engine_set_alpn(SSL *ssl, const unsigned char *wire, unsigned int len)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    unsigned char *copy = NULL;
    if (slot == NULL)
        return 0;
    if (len > 0) {
        copy = OPENSSL_malloc(len);
        if (copy == NULL)
            return 0;
        memcpy(copy, wire, len);
    }
    OPENSSL_free(slot->alpn);
    slot->alpn = copy;
    slot->alpn_len = len;
    return 1;
}

/* The callbacks are per context, so they are installed only once someone uses NPN:
   a client context with the select callback offers NPN in every ClientHello. */
static int nodetls_engine_set_npn(SSL *ssl, const unsigned char *wire, unsigned int len)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    unsigned char *copy;
    if (slot == NULL || len == 0 || (copy = OPENSSL_malloc(len)) == NULL)
        return 0;
    memcpy(copy, wire, len);
    OPENSSL_free(slot->npn);
    slot->npn = copy;
    slot->npn_len = len;
    if (SSL_is_server(ssl))
        SSL_CTX_set_next_protos_advertised_cb(SSL_get_SSL_CTX(ssl),
                                              nodetls_engine_npn_advertise_cb, NULL);
    else
        SSL_CTX_set_next_proto_select_cb(SSL_get_SSL_CTX(ssl),
                                         nodetls_engine_npn_select_cb, NULL);
    return 1;
}

static int nodetls_engine_set_next_session(SSL *ssl, SSL_SESSION *session)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    if (slot == NULL || (session != NULL && !SSL_SESSION_up_ref(session)))
        return 0;
    SSL_SESSION_free(slot->next_session);
    slot->next_session = session;
    return 1;
}

static int nodetls_engine_set_ocsp_response(SSL *ssl, const unsigned char *data, size_t len)
{
    /* OpenSSL takes ownership of an OPENSSL_malloc'd copy. */
    unsigned char *copy = OPENSSL_malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, len);
    if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len)) {
        OPENSSL_free(copy);
        return 0;
    }
    return 1;
}

/* Node's UseSNIContext + SetCACerts: certificate, key, chain, verify store, client CAs. */
static int nodetls_engine_use_context(SSL *ssl, SSL_CTX *ctx)
{
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    EVP_PKEY *pkey = SSL_CTX_get0_privatekey(ctx);
    STACK_OF(X509) *chain = NULL;
    STACK_OF(X509_NAME) *names;
    long ok = SSL_CTX_get0_chain_certs(ctx, &chain);  /* the ctrl macros return long */
    if (ok == 1 && cert != NULL)
        ok = SSL_use_certificate(ssl, cert);
    if (ok == 1 && pkey != NULL)
        ok = SSL_use_PrivateKey(ssl, pkey);
    if (ok == 1 && chain != NULL)
        ok = SSL_set1_chain(ssl, chain);
    if (ok == 1)
        ok = SSL_set1_verify_cert_store(ssl, SSL_CTX_get_cert_store(ctx));
    if (ok == 1) {
        names = SSL_dup_CA_list(SSL_CTX_get_client_CA_list(ctx));
        if (names == NULL)
            return 0;
        SSL_set_client_CA_list(ssl, names);  /* takes ownership */
    }
    return ok == 1;
}

static SSL *nodetls_engine_new(SSL_CTX *ctx, int is_server)
{
    SSL *ssl = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    nodetls_engine_slot *slot = calloc(1, sizeof(*slot));
    if (ssl == NULL || rbio == NULL || wbio == NULL || slot == NULL
            || !SSL_set_ex_data(ssl, nodetls_engine_ex_index(), slot)) {
        SSL_free(ssl);
        BIO_free(rbio);
        BIO_free(wbio);
        free(slot);
        return NULL;
    }
    /* An empty memory BIO means "no more bytes yet", never EOF. */
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    slot->flags = is_server ? NODETLS_ENGINE_SERVER : 0;
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nodetls_engine_verify_accept);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                      | SSL_MODE_AUTO_RETRY | SSL_MODE_RELEASE_BUFFERS);
    SSL_set_info_callback(ssl, nodetls_engine_info_cb);
    SSL_set_cert_cb(ssl, nodetls_engine_cert_cb, NULL);
    if (is_server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    return ssl;
}

static void nodetls_engine_free(SSL *ssl)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    SSL_set_ex_data(ssl, nodetls_engine_ex_index(), NULL);
    SSL_free(ssl);  /* frees both BIOs */
    if (slot != NULL) {
        OPENSSL_free(slot->alpn);
        OPENSSL_free(slot->npn);
        SSL_SESSION_free(slot->next_session);
        BIO_free(slot->trace_bio);
        free(slot);
    }
}

static BIO *nodetls_engine_rbio(SSL *ssl) { return SSL_get_rbio(ssl); }
static BIO *nodetls_engine_wbio(SSL *ssl) { return SSL_get_wbio(ssl); }

static int nodetls_engine_handshake(SSL *ssl)
{
    int ret;
    ERR_clear_error();
    ret = SSL_do_handshake(ssl);
    return ret == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);
}

static int nodetls_engine_shutdown(SSL *ssl)
{
    int ret;
    ERR_clear_error();
    ret = SSL_shutdown(ssl);
    return ret >= 0 ? ret : -SSL_get_error(ssl, ret);
}

/* Node's VerifyPeerCertificate: no certificate is UNABLE_TO_GET_ISSUER_CERT,
   except for PSK suites and resumed TLS 1.3 sessions, which count as verified. */
static long nodetls_engine_verify_error(SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    const SSL_CIPHER *cipher;
    const SSL_SESSION *session;
    if (peer != NULL) {
        X509_free(peer);
        return SSL_get_verify_result(ssl);
    }
    cipher = SSL_get_current_cipher(ssl);
    session = SSL_get_session(ssl);
    if ((cipher != NULL && SSL_CIPHER_get_auth_nid(cipher) == NID_auth_psk)
            || (session != NULL && SSL_SESSION_get_protocol_version(session) == TLS1_3_VERSION
                && SSL_session_reused(ssl)))
        return X509_V_OK;
    return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
}

/* Peer's ephemeral key: EVP_PKEY type, bits, and curve NID (EC) or type NID. */
static int nodetls_engine_peer_tmp_key(SSL *ssl, int *type, int *bits, int *curve_nid)
{
    EVP_PKEY *key = NULL;
    char name[80];
    size_t len = 0;
    if (!SSL_get_peer_tmp_key(ssl, &key) || key == NULL)
        return 0;
    *type = EVP_PKEY_get_id(key);
    *bits = EVP_PKEY_get_bits(key);
    *curve_nid = *type;
    if (*type == EVP_PKEY_EC) {
        *curve_nid = NID_undef;
        if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len))
            *curve_nid = OBJ_txt2nid(name);
        if (*curve_nid == NID_undef)
            *curve_nid = EC_curve_nist2nid(name);
    }
    EVP_PKEY_free(key);
    return 1;
}

/* Node's GetClientHelloServerName: the host_name out of the raw server_name extension. */
static size_t nodetls_engine_client_hello_servername(SSL *ssl, const unsigned char **name)
{
    const unsigned char *buf;
    size_t rem, len;
    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &buf, &rem) || rem <= 2)
        return 0;
    len = ((size_t)buf[0] << 8) | buf[1];
    if (len + 2 != rem)
        return 0;
    rem = len;
    if (rem == 0 || buf[2] != TLSEXT_NAMETYPE_host_name)
        return 0;
    rem--;
    if (rem <= 2)
        return 0;
    len = ((size_t)buf[3] << 8) | buf[4];
    if (len + 2 > rem)
        return 0;
    *name = buf + 5;
    return len;
}
