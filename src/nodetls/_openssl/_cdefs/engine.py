"""cdef of the engine's C side: per-connection slot, hot loops, callback trampolines.

The C is ``csrc/engine.c`` (its theory of operation is there).  Python sees the slot's
public fields, the flag constants, the helpers and the ``extern "Python"`` callbacks
whose bodies live in ``nodetls.engine.callbacks``.
"""

TYPES = """
typedef struct {
    void *handle;
    int flags;
    size_t read_progress;
    size_t io_len;
    ...;
} nodetls_engine_slot;

static const int NODETLS_ENGINE_SERVER;
static const int NODETLS_ENGINE_SESSION_CB;
static const int NODETLS_ENGINE_HELLO_CB;
static const int NODETLS_ENGINE_CERT_CB;
static const int NODETLS_ENGINE_KEYLOG;
static const int NODETLS_ENGINE_ALPN_CB;
static const int NODETLS_ENGINE_STOP;
static const int NODETLS_ENGINE_MAX_SESSION_SIZE;
"""

FUNCTIONS = """
/* connection lifecycle */
SSL *nodetls_engine_new(SSL_CTX *, int);
void nodetls_engine_free(SSL *);
nodetls_engine_slot *nodetls_engine_slot_of(const SSL *);
BIO *nodetls_engine_rbio(SSL *);
BIO *nodetls_engine_wbio(SSL *);
void nodetls_engine_install_ctx(SSL_CTX *);
void nodetls_engine_enable_keylog(SSL_CTX *);
void nodetls_engine_enable_psk(SSL *);
int nodetls_engine_enable_trace(SSL *);
void nodetls_engine_set_verify(SSL *, int);
int nodetls_engine_set_alpn(SSL *, const unsigned char *, unsigned int);
int nodetls_engine_set_npn(SSL *, const unsigned char *, unsigned int);
int nodetls_engine_npn_status(const SSL *);
int nodetls_engine_set_next_session(SSL *, SSL_SESSION *);
int nodetls_engine_set_ocsp_response(SSL *, const unsigned char *, size_t);
int nodetls_engine_use_context(SSL *, SSL_CTX *);

/* hot loops */
int nodetls_engine_feed(BIO *, const unsigned char *, size_t);
size_t nodetls_engine_drain(SSL *, unsigned char *, size_t);
int nodetls_engine_receive(SSL *, const unsigned char *, size_t, unsigned char *, size_t);
int nodetls_engine_write(SSL *, const unsigned char *, size_t);
int nodetls_engine_handshake(SSL *);
int nodetls_engine_shutdown(SSL *);

/* accessors that are awkward from Python */
long nodetls_engine_verify_error(SSL *);
int nodetls_engine_peer_tmp_key(SSL *, int *, int *, int *);
size_t nodetls_engine_client_hello_servername(SSL *, const unsigned char **);

/* Python callbacks, reached only through the trampolines of csrc/engine.c */
extern "Python" void nodetls_engine_py_handshake(const SSL *, int);
extern "Python" void nodetls_engine_py_keylog(const SSL *, const char *);
extern "Python" int nodetls_engine_py_new_session(SSL *, SSL_SESSION *);
extern "Python" int nodetls_engine_py_client_hello(SSL *);
extern "Python" int nodetls_engine_py_cert(SSL *);
extern "Python" int nodetls_engine_py_status(SSL *);
extern "Python" int nodetls_engine_py_alpn(SSL *, const unsigned char **, unsigned char *,
                                           const unsigned char *, unsigned int);
extern "Python" unsigned int nodetls_engine_py_psk_server(SSL *, const char *,
                                                          unsigned char *, unsigned int);
extern "Python" unsigned int nodetls_engine_py_psk_client(SSL *, const char *, char *,
                                                          unsigned int, unsigned char *,
                                                          unsigned int);
"""
