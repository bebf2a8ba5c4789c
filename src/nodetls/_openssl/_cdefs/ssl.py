"""libssl: contexts, connections and sessions.

The callbacks OpenSSL makes into us are declared by the fragments of their owners:
``engine.py`` (per-connection hooks: ``extern "Python"`` bodies registered with
``@ffi.def_extern`` in ``nodetls.engine.callbacks``, never ``ffi.callback``, which
needs W^X-violating memory) and ``context.py`` (Node's 48-byte ticket-key callback,
plain C).
"""

INCLUDES = """
#include <openssl/ssl.h>
#include <openssl/tls1.h>
"""

TYPES = """
typedef ... SSL_METHOD;
typedef ... SSL_CTX;
typedef ... SSL;
typedef ... SSL_SESSION;
typedef ... SSL_CIPHER;
typedef ... Nodetls_STACK_OF_SSL_CIPHER;

static const long SSL_OP_ALL;
static const long SSL_OP_NO_SSLv2;
static const long SSL_OP_NO_SSLv3;
static const long SSL_OP_NO_TLSv1;
static const long SSL_OP_NO_TLSv1_1;
static const long SSL_OP_NO_TLSv1_2;
static const long SSL_OP_NO_TLSv1_3;
static const long SSL_OP_NO_TICKET;
static const long SSL_OP_NO_COMPRESSION;
static const long SSL_OP_NO_RENEGOTIATION;
static const long SSL_OP_CIPHER_SERVER_PREFERENCE;
static const long SSL_OP_ALLOW_CLIENT_RENEGOTIATION;
static const long SSL_OP_LEGACY_SERVER_CONNECT;
static const long SSL_OP_IGNORE_UNEXPECTED_EOF;
static const long SSL_OP_NO_QUERY_MTU;
static const long SSL_OP_COOKIE_EXCHANGE;
static const long SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION;
static const long SSL_OP_TLSEXT_PADDING;
static const long SSL_OP_SAFARI_ECDHE_ECDSA_BUG;
static const long SSL_OP_TLS_ROLLBACK_BUG;
static const long SSL_OP_NO_ENCRYPT_THEN_MAC;
static const long SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
static const long SSL_OP_PRIORITIZE_CHACHA;
static const long SSL_OP_NO_ANTI_REPLAY;
static const long SSL_OP_NO_EXTENDED_MASTER_SECRET;
static const long SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;
static const long SSL_OP_CRYPTOPRO_TLSEXT_BUG;
static const long SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;
static const long SSL_OP_ENABLE_KTLS;
static const long SSL_OP_CLEANSE_PLAINTEXT;
static const long SSL_OP_ALLOW_NO_DHE_KEX;

static const long SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long SSL_MODE_RELEASE_BUFFERS;
static const long SSL_MODE_AUTO_RETRY;
static const long SSL_MODE_NO_AUTO_CHAIN;

static const int SSL_ERROR_NONE;
static const int SSL_ERROR_SSL;
static const int SSL_ERROR_WANT_READ;
static const int SSL_ERROR_WANT_WRITE;
static const int SSL_ERROR_WANT_X509_LOOKUP;
static const int SSL_ERROR_SYSCALL;
static const int SSL_ERROR_ZERO_RETURN;
static const int SSL_ERROR_WANT_CLIENT_HELLO_CB;

static const int SSL_VERIFY_NONE;
static const int SSL_VERIFY_PEER;
static const int SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
static const int SSL_VERIFY_CLIENT_ONCE;

static const int SSL_SESS_CACHE_OFF;
static const int SSL_SESS_CACHE_CLIENT;
static const int SSL_SESS_CACHE_SERVER;
static const int SSL_SESS_CACHE_BOTH;
static const int SSL_SESS_CACHE_NO_AUTO_CLEAR;
static const int SSL_SESS_CACHE_NO_INTERNAL;
static const int SSL_SESS_CACHE_NO_INTERNAL_LOOKUP;
static const int SSL_SESS_CACHE_NO_INTERNAL_STORE;

static const int SSL_CB_HANDSHAKE_START;
static const int SSL_CB_HANDSHAKE_DONE;
static const int SSL_CB_ALERT;
static const int SSL_CB_READ;
static const int SSL_CB_WRITE;

static const int SSL_CLIENT_HELLO_SUCCESS;
static const int SSL_CLIENT_HELLO_ERROR;
static const int SSL_CLIENT_HELLO_RETRY;

static const int SSL_TLSEXT_ERR_OK;
static const int SSL_TLSEXT_ERR_ALERT_WARNING;
static const int SSL_TLSEXT_ERR_ALERT_FATAL;
static const int SSL_TLSEXT_ERR_NOACK;
static const int OPENSSL_NPN_NEGOTIATED;
static const int OPENSSL_NPN_NO_OVERLAP;
static const int TLSEXT_STATUSTYPE_ocsp;
static const int TLSEXT_NAMETYPE_host_name;
static const int TLSEXT_TYPE_server_name;
static const int TLSEXT_TYPE_session_ticket;
static const int TLSEXT_TYPE_psk;

static const int SSL_AD_HANDSHAKE_FAILURE;
static const int SSL_AD_INTERNAL_ERROR;
static const int SSL_AD_UNRECOGNIZED_NAME;
static const int SSL_AD_NO_APPLICATION_PROTOCOL;

static const int SSL3_VERSION;
static const int TLS1_VERSION;
static const int TLS1_1_VERSION;
static const int TLS1_2_VERSION;
static const int TLS1_3_VERSION;

static const int SSL_SENT_SHUTDOWN;
static const int SSL_RECEIVED_SHUTDOWN;
static const int SSL_MAX_SSL_SESSION_ID_LENGTH;
static const int SSL_MAX_SID_CTX_LENGTH;
static const int PSK_MAX_PSK_LEN;
static const int PSK_MAX_IDENTITY_LEN;
static const int SSL3_RT_MAX_PLAIN_LENGTH;
"""

FUNCTIONS = """
/* methods and contexts */
const SSL_METHOD *TLS_method(void);
const SSL_METHOD *TLS_server_method(void);
const SSL_METHOD *TLS_client_method(void);
SSL_CTX *SSL_CTX_new(const SSL_METHOD *);
SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *, const char *, const SSL_METHOD *);
void SSL_CTX_free(SSL_CTX *);
int SSL_CTX_up_ref(SSL_CTX *);
uint64_t SSL_CTX_set_options(SSL_CTX *, uint64_t);
uint64_t SSL_CTX_clear_options(SSL_CTX *, uint64_t);
uint64_t SSL_CTX_get_options(const SSL_CTX *);
long SSL_CTX_set_mode(SSL_CTX *, long);
long SSL_CTX_clear_mode(SSL_CTX *, long);
long SSL_CTX_set_min_proto_version(SSL_CTX *, int);
long SSL_CTX_set_max_proto_version(SSL_CTX *, int);
long SSL_CTX_get_min_proto_version(SSL_CTX *);
long SSL_CTX_get_max_proto_version(SSL_CTX *);
int SSL_CTX_set_cipher_list(SSL_CTX *, const char *);
int SSL_CTX_set_ciphersuites(SSL_CTX *, const char *);
long SSL_CTX_set1_groups_list(SSL_CTX *, char *);
long SSL_CTX_set1_sigalgs_list(SSL_CTX *, const char *);
long SSL_CTX_set1_client_sigalgs_list(SSL_CTX *, const char *);
int SSL_CTX_use_certificate(SSL_CTX *, X509 *);
int SSL_CTX_use_PrivateKey(SSL_CTX *, EVP_PKEY *);
int SSL_CTX_check_private_key(const SSL_CTX *);
long SSL_CTX_add0_chain_cert(SSL_CTX *, X509 *);
long SSL_CTX_add1_chain_cert(SSL_CTX *, X509 *);
long SSL_CTX_clear_chain_certs(SSL_CTX *);
long SSL_CTX_get0_chain_certs(SSL_CTX *, Nodetls_STACK_OF_X509 **);
long SSL_CTX_select_current_cert(SSL_CTX *, X509 *);
long SSL_CTX_set_current_cert(SSL_CTX *, long);
X509 *SSL_CTX_get0_certificate(const SSL_CTX *);
EVP_PKEY *SSL_CTX_get0_privatekey(const SSL_CTX *);
int SSL_CTX_add_client_CA(SSL_CTX *, X509 *);
void SSL_CTX_set_client_CA_list(SSL_CTX *, Nodetls_STACK_OF_X509_NAME *);
Nodetls_STACK_OF_X509_NAME *SSL_CTX_get_client_CA_list(const SSL_CTX *);
X509_STORE *SSL_CTX_get_cert_store(const SSL_CTX *);
void SSL_CTX_set_cert_store(SSL_CTX *, X509_STORE *);
void SSL_CTX_set1_cert_store(SSL_CTX *, X509_STORE *);
int SSL_CTX_set_default_verify_paths(SSL_CTX *);
void SSL_CTX_set_verify(SSL_CTX *, int, int (*)(int, X509_STORE_CTX *));
void SSL_CTX_set_verify_depth(SSL_CTX *, int);
int SSL_CTX_set_session_id_context(SSL_CTX *, const unsigned char *, unsigned int);
long SSL_CTX_set_timeout(SSL_CTX *, long);
long SSL_CTX_get_timeout(const SSL_CTX *);
long SSL_CTX_set_session_cache_mode(SSL_CTX *, long);
long SSL_CTX_get_session_cache_mode(SSL_CTX *);
long SSL_CTX_sess_set_cache_size(SSL_CTX *, long);
long SSL_CTX_sess_get_cache_size(SSL_CTX *);
long SSL_CTX_sess_number(SSL_CTX *);
long SSL_CTX_sess_hits(SSL_CTX *);
long SSL_CTX_sess_cb_hits(SSL_CTX *);
int SSL_CTX_set_num_tickets(SSL_CTX *, size_t);
long SSL_CTX_set_max_send_fragment(SSL_CTX *, long);
int SSL_CTX_set_ex_data(SSL_CTX *, int, void *);
void *SSL_CTX_get_ex_data(const SSL_CTX *, int);
void SSL_CTX_set_security_level(SSL_CTX *, int);
int SSL_CTX_get_security_level(const SSL_CTX *);
long SSL_CTX_set_dh_auto(SSL_CTX *, long);
int SSL_CTX_set0_tmp_dh_pkey(SSL_CTX *, EVP_PKEY *);
Nodetls_STACK_OF_SSL_CIPHER *SSL_CTX_get_ciphers(const SSL_CTX *);
int SSL_CTX_set_alpn_protos(SSL_CTX *, const unsigned char *, unsigned int);

/* connections */
SSL *SSL_new(SSL_CTX *);
void SSL_free(SSL *);
int SSL_up_ref(SSL *);
SSL_CTX *SSL_get_SSL_CTX(const SSL *);
SSL_CTX *SSL_set_SSL_CTX(SSL *, SSL_CTX *);
void SSL_set_bio(SSL *, BIO *, BIO *);
void SSL_set_connect_state(SSL *);
void SSL_set_accept_state(SSL *);
int SSL_is_server(const SSL *);
int SSL_do_handshake(SSL *);
int SSL_is_init_finished(const SSL *);
int SSL_in_init(const SSL *);
int SSL_read(SSL *, void *, int);
int SSL_read_ex(SSL *, void *, size_t, size_t *);
int SSL_write(SSL *, const void *, int);
int SSL_write_ex(SSL *, const void *, size_t, size_t *);
int SSL_peek(SSL *, void *, int);
int SSL_pending(const SSL *);
int SSL_has_pending(const SSL *);
int SSL_shutdown(SSL *);
int SSL_get_shutdown(const SSL *);
void SSL_set_shutdown(SSL *, int);
int SSL_get_error(const SSL *, int);
uint64_t SSL_set_options(SSL *, uint64_t);
uint64_t SSL_clear_options(SSL *, uint64_t);
uint64_t SSL_get_options(const SSL *);
long SSL_set_mode(SSL *, long);
long SSL_clear_mode(SSL *, long);
int SSL_set_ex_data(SSL *, int, void *);
void *SSL_get_ex_data(const SSL *, int);
void SSL_set_verify(SSL *, int, int (*)(int, X509_STORE_CTX *));
int SSL_get_verify_mode(const SSL *);
long SSL_get_verify_result(const SSL *);
void SSL_set_verify_result(SSL *, long);
X509 *SSL_get1_peer_certificate(const SSL *);
Nodetls_STACK_OF_X509 *SSL_get_peer_cert_chain(const SSL *);
X509 *SSL_get_certificate(const SSL *);
EVP_PKEY *SSL_get_privatekey(const SSL *);
int SSL_use_certificate(SSL *, X509 *);
int SSL_use_PrivateKey(SSL *, EVP_PKEY *);
long SSL_set0_chain(SSL *, Nodetls_STACK_OF_X509 *);
long SSL_set1_chain(SSL *, Nodetls_STACK_OF_X509 *);
long SSL_add1_chain_cert(SSL *, X509 *);
void SSL_set_client_CA_list(SSL *, Nodetls_STACK_OF_X509_NAME *);
long SSL_set1_verify_cert_store(SSL *, X509_STORE *);
int SSL_add_client_CA(SSL *, X509 *);
const char *SSL_get_version(const SSL *);
int SSL_version(const SSL *);
const SSL_CIPHER *SSL_get_current_cipher(const SSL *);
const char *SSL_CIPHER_get_name(const SSL_CIPHER *);
const char *SSL_CIPHER_standard_name(const SSL_CIPHER *);
const char *SSL_CIPHER_get_version(const SSL_CIPHER *);
int SSL_CIPHER_get_bits(const SSL_CIPHER *, int *);
Nodetls_STACK_OF_SSL_CIPHER *SSL_get_ciphers(const SSL *);
Nodetls_STACK_OF_SSL_CIPHER *SSL_get1_supported_ciphers(SSL *);
int sk_SSL_CIPHER_num(const Nodetls_STACK_OF_SSL_CIPHER *);
const SSL_CIPHER *sk_SSL_CIPHER_value(const Nodetls_STACK_OF_SSL_CIPHER *, int);
void sk_SSL_CIPHER_free(Nodetls_STACK_OF_SSL_CIPHER *);
long SSL_set_tlsext_host_name(SSL *, const char *);
const char *SSL_get_servername(const SSL *, const int);
long SSL_set_max_send_fragment(SSL *, long);
int SSL_set_cipher_list(SSL *, const char *);
long SSL_get_peer_tmp_key(SSL *, EVP_PKEY **);
long SSL_get_tmp_key(SSL *, EVP_PKEY **);
int SSL_get_negotiated_group(SSL *);
int SSL_get_shared_sigalgs(SSL *, int, int *, int *, int *, unsigned char *, unsigned char *);
int SSL_get_sigalgs(SSL *, int, int *, int *, int *, unsigned char *, unsigned char *);
size_t SSL_get_finished(const SSL *, void *, size_t);
size_t SSL_get_peer_finished(const SSL *, void *, size_t);
int SSL_export_keying_material(SSL *, unsigned char *, size_t, const char *, size_t,
                               const unsigned char *, size_t, int);
int SSL_renegotiate(SSL *);
int SSL_renegotiate_pending(const SSL *);
long SSL_total_renegotiations(SSL *);
int SSL_session_reused(const SSL *);
long SSL_get_secure_renegotiation_support(SSL *);
long SSL_set_tlsext_status_type(SSL *, long);
long SSL_get_tlsext_status_type(SSL *);
long SSL_set_tlsext_status_ocsp_resp(SSL *, unsigned char *, long);
long SSL_get_tlsext_status_ocsp_resp(SSL *, const unsigned char **);
int SSL_set_alpn_protos(SSL *, const unsigned char *, unsigned int);
void SSL_get0_alpn_selected(const SSL *, const unsigned char **, unsigned int *);
void SSL_get0_next_proto_negotiated(const SSL *, const unsigned char **, unsigned *);
int SSL_select_next_proto(unsigned char **, unsigned char *, const unsigned char *,
                          unsigned int, const unsigned char *, unsigned int);
int SSL_set_session_id_context(SSL *, const unsigned char *, unsigned int);
int SSL_set_min_proto_version(SSL *, int);
int SSL_set_max_proto_version(SSL *, int);
int SSL_get_security_level(const SSL *);
void SSL_set_security_level(SSL *, int);
int SSL_client_hello_isv2(SSL *);
int SSL_client_hello_get1_extensions_present(SSL *, int **, size_t *);
int SSL_client_hello_get0_ext(SSL *, unsigned int, const unsigned char **, size_t *);
size_t SSL_client_hello_get0_session_id(SSL *, const unsigned char **);
int SSL_set_num_tickets(SSL *, size_t);
int SSL_key_update(SSL *, int);
int SSL_verify_client_post_handshake(SSL *);
void SSL_set_post_handshake_auth(SSL *, int);
int SSL_use_psk_identity_hint(SSL *, const char *);
int SSL_CTX_use_psk_identity_hint(SSL_CTX *, const char *);
const char *SSL_get_psk_identity_hint(const SSL *);
const char *SSL_get_psk_identity(const SSL *);
int SSL_get_ex_data_X509_STORE_CTX_idx(void);
Nodetls_STACK_OF_X509_NAME *SSL_get_client_CA_list(const SSL *);

/* sessions */
SSL_SESSION *SSL_get_session(const SSL *);
SSL_SESSION *SSL_get1_session(SSL *);
int SSL_set_session(SSL *, SSL_SESSION *);
void SSL_SESSION_free(SSL_SESSION *);
int SSL_SESSION_up_ref(SSL_SESSION *);
int i2d_SSL_SESSION(const SSL_SESSION *, unsigned char **);
SSL_SESSION *d2i_SSL_SESSION(SSL_SESSION **, const unsigned char **, long);
const unsigned char *SSL_SESSION_get_id(const SSL_SESSION *, unsigned int *);
int SSL_SESSION_has_ticket(const SSL_SESSION *);
void SSL_SESSION_get0_ticket(const SSL_SESSION *, const unsigned char **, size_t *);
unsigned long SSL_SESSION_get_ticket_lifetime_hint(const SSL_SESSION *);
long SSL_SESSION_get_time(const SSL_SESSION *);
long SSL_SESSION_get_timeout(const SSL_SESSION *);
int SSL_SESSION_is_resumable(const SSL_SESSION *);
int SSL_SESSION_get_protocol_version(const SSL_SESSION *);
int SSL_SESSION_set1_id_context(SSL_SESSION *, const unsigned char *, unsigned int);

/* trace: passed straight to SSL_CTX_set_msg_callback / SSL_set_msg_callback */
void SSL_trace(int, int, int, const void *, size_t, SSL *, void *);
void SSL_set_msg_callback(SSL *, void (*)(int, int, int, const void *, size_t, SSL *, void *));
long SSL_set_msg_callback_arg(SSL *, void *);
"""

CUSTOMIZATIONS = """
typedef STACK_OF(SSL_CIPHER) Nodetls_STACK_OF_SSL_CIPHER;
"""
