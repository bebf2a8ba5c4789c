/* nodetls.h: what every C file of the binding shares.
 *
 * The binding is one translation unit: _build.py concatenates this header and the .c
 * files of this directory (sorted by name) into cffi's set_source(), and cffi appends
 * its generated wrappers, which call the functions declared by the cdef text in
 * _cdefs/<area>.py.  Each .c file includes this header itself so that it reads (and
 * lints) on its own; the include guard makes the later includes no-ops.
 *
 * Every name defined here or in a .c file starts with nodetls_ (NODETLS_ for macros
 * and constants), so nothing can collide with OpenSSL's names or cffi's _cffi_ ones;
 * the only exceptions are context.c's ENGINE_* stand-ins for OpenSSL builds without
 * ENGINE, which must have OpenSSL's names.  Every function is static: cffi's wrappers,
 * in the same translation unit, are the only callers from outside a file.
 * Only OpenSSL >= 3.0 is supported: compiling against older headers stops here with a
 * message that says what to install.
 */
#ifndef NODETLS_H
#define NODETLS_H

/* Node's legacy key views (RSA, EC_KEY) are deprecated in 3.0 but still what Node prints. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/opensslv.h>
#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "nodetls needs OpenSSL >= 3.0 headers (Debian/Ubuntu: apt-get install libssl-dev)"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Every OpenSSL header that the cdef declarations or the .c files use. */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

/* STACK_OF(T) is a macro cffi cannot parse: the cdef names these typedefs instead. */
typedef STACK_OF(X509) nodetls_STACK_OF_X509;
typedef STACK_OF(X509_NAME) nodetls_STACK_OF_X509_NAME;
typedef STACK_OF(X509_CRL) nodetls_STACK_OF_X509_CRL;
typedef STACK_OF(X509_OBJECT) nodetls_STACK_OF_X509_OBJECT;
typedef STACK_OF(SSL_CIPHER) nodetls_STACK_OF_SSL_CIPHER;
typedef STACK_OF(OPENSSL_STRING) nodetls_STACK_OF_OPENSSL_STRING;

#endif /* NODETLS_H */
