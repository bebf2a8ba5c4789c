/* csrc/x509.c: certificate fields the way Node prints them, and Node's table of verify codes.
 *
 * Node builds getPeerCertificate() in C++ (X509ToObject, PrintGeneralName,
 * SafeX509SubjectAltNamePrint, SafeX509InfoAccessPrint and X509ErrorCode in
 * src/crypto/crypto_common.cc, v20).  The parts that walk OpenSSL structures
 * (GENERAL_NAME unions, AUTHORITY_INFO_ACCESS, legacy RSA/EC key views) are ported here
 * as small C helpers, so Python never sees those structs and the printers follow Node
 * byte for byte.  Every helper is prefixed nodetls_certinfo_ or nodetls_verify_;
 * the cdef (_cdefs/x509.py) declares no raw OpenSSL names, so it cannot collide with
 * the other cdef modules.
 *
 * String results are written to a caller-owned memory BIO (BIO_s_mem); the caller
 * reads it with BIO_get_mem_data and resets it.  Tri-state returns mirror Node's
 * undefined / null / value: -1 means "no such extension" (key absent), 0 means
 * "present but unparseable" (null), 1 means "written".
 */

#include "nodetls.h"

#include <stdio.h>

/* ---- subject / issuer ------------------------------------------------------------ */

static int nodetls_certinfo_name_entry(X509 *x, int issuer, int i, char *key, int key_len,
                                       unsigned char **value, int *value_len)
{
    X509_NAME *name = issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x);
    X509_NAME_ENTRY *entry;
    const ASN1_OBJECT *type;
    int nid;

    if (name == NULL || i >= X509_NAME_entry_count(name))
        return -1;
    entry = X509_NAME_get_entry(name, i);
    type = X509_NAME_ENTRY_get_object(entry);
    /* Known types by short name, unknown ones as a dotted OID (80-byte buffer, as Node). */
    nid = OBJ_obj2nid(type);
    if (nid != NID_undef) {
        const char *sn = OBJ_nid2sn(nid);
        snprintf(key, (size_t)key_len, "%s", sn != NULL ? sn : "");
    } else {
        OBJ_obj2txt(key, key_len, type, 1);
    }
    /* Node converts to UTF-8 and escapes nothing; a failed conversion voids the name. */
    *value_len = ASN1_STRING_to_UTF8(value, X509_NAME_ENTRY_get_data(entry));
    return *value_len < 0 ? -2 : 1;
}

/* ---- subjectAltName / infoAccess printers (Node's PrintGeneralName) ----------------- */

/* A value is printed bare only if it cannot be confused with the list syntax: no quote,
   backslash, comma or apostrophe, and no control character (nor, outside UTF-8 values,
   any byte above '~'). */
static int nodetls_altname_is_safe(const unsigned char *s, size_t n, int utf8)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c == ',' || c == '\'')
            return 0;
        if (c < ' ' || c == 0x7f || (!utf8 && c > '~'))
            return 0;
    }
    return 1;
}

/* Unsafe values become one JSON string literal covering prefix and value.  Commas are
   \u-escaped too so that naive splitting on ", " never cuts one.  Bytes of non-UTF-8
   values are taken as Latin-1. */
static void nodetls_altname_print(BIO *out, const unsigned char *s, size_t n, int utf8,
                                         const char *prefix)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    if (nodetls_altname_is_safe(s, n, utf8)) {
        if (prefix != NULL)
            BIO_printf(out, "%s:", prefix);
        BIO_write(out, s, (int)n);
        return;
    }
    BIO_write(out, "\"", 1);
    if (prefix != NULL)
        BIO_printf(out, "%s:", prefix);
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\') {
            BIO_write(out, "\\\\", 2);
        } else if (c == '"') {
            BIO_write(out, "\\\"", 2);
        } else if ((c >= ' ' && c != ',' && c <= '~') || (utf8 && (c & 0x80))) {
            BIO_write(out, &c, 1);
        } else {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0x0f] };
            BIO_write(out, u, 6);
        }
    }
    BIO_write(out, "\"", 1);
}

static void nodetls_altname_ia5(BIO *out, const ASN1_STRING *s, const char *prefix)
{
    nodetls_altname_print(out, s->data, (size_t)s->length, 0, prefix);
}

static void nodetls_altname_utf8(BIO *out, const ASN1_STRING *s, const char *prefix)
{
    nodetls_altname_print(out, s->data, (size_t)s->length, 1, prefix);
}

/* DirName: RFC 2253 without escaping bytes >= 0x80 or controls, then Node's quoting. */
static int nodetls_print_dirname(BIO *out, X509_NAME *name)
{
    const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB
                                & ~ASN1_STRFLGS_ESC_CTRL;
    BIO *tmp = BIO_new(BIO_s_mem());
    char *text = NULL;
    long n;

    if (tmp == NULL)
        return 0;
    BIO_printf(out, "DirName:");
    if (X509_NAME_print_ex(tmp, name, 0, flags) < 0) {
        BIO_free(tmp);
        return 0;
    }
    n = BIO_get_mem_data(tmp, &text);
    nodetls_altname_print(out, (const unsigned char *)text, n > 0 ? (size_t)n : 0, 1, NULL);
    BIO_free(tmp);
    return 1;
}

static void nodetls_print_ip(BIO *out, const ASN1_OCTET_STRING *ip)
{
    const unsigned char *b = ip->data;
    int j;

    BIO_printf(out, "IP Address:");
    if (ip->length == 4) {
        BIO_printf(out, "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
    } else if (ip->length == 16) {
        /* Eight upper-case groups, never "::"-shortened. */
        for (j = 0; j < 8; j++)
            BIO_printf(out, j == 0 ? "%X" : ":%X", (unsigned)((b[2 * j] << 8) | b[2 * j + 1]));
    } else {
        BIO_printf(out, "<invalid length=%d>", ip->length);
    }
}

/* othername: OpenSSL 3's GENERAL_NAME_print names; anything else is "<unsupported>". */
static void nodetls_print_othername(BIO *out, const OTHERNAME *other)
{
    const char *prefix = NULL;
    int utf8 = 1;
    int type;

    switch (OBJ_obj2nid(other->type_id)) {
    case NID_id_on_SmtpUTF8Mailbox: prefix = "SmtpUTF8Mailbox"; break;
    case NID_XmppAddr: prefix = "XmppAddr"; break;
    case NID_SRVName: prefix = "SRVName"; utf8 = 0; break;
    case NID_ms_upn: prefix = "UPN"; break;
    case NID_NAIRealm: prefix = "NAIRealm"; break;
    }
    type = other->value->type;
    if (prefix == NULL || type != (utf8 ? V_ASN1_UTF8STRING : V_ASN1_IA5STRING)) {
        BIO_printf(out, "othername:<unsupported>");
        return;
    }
    BIO_printf(out, "othername:");
    if (utf8)
        nodetls_altname_utf8(out, other->value->value.utf8string, prefix);
    else
        nodetls_altname_ia5(out, other->value->value.ia5string, prefix);
}

static int nodetls_print_general_name(BIO *out, const GENERAL_NAME *gen)
{
    char oid[256];

    switch (gen->type) {
    case GEN_DNS:
        BIO_write(out, "DNS:", 4);
        nodetls_altname_ia5(out, gen->d.dNSName, NULL);
        return 1;
    case GEN_EMAIL:
        BIO_write(out, "email:", 6);
        nodetls_altname_ia5(out, gen->d.rfc822Name, NULL);
        return 1;
    case GEN_URI:
        BIO_write(out, "URI:", 4);
        nodetls_altname_ia5(out, gen->d.uniformResourceIdentifier, NULL);
        return 1;
    case GEN_DIRNAME:
        return nodetls_print_dirname(out, gen->d.dirn);
    case GEN_IPADD:
        nodetls_print_ip(out, gen->d.ip);
        return 1;
    case GEN_RID:
        /* Always numeric, unlike OpenSSL's own printer. */
        OBJ_obj2txt(oid, sizeof(oid), gen->d.rid, 1);
        BIO_printf(out, "Registered ID:%s", oid);
        return 1;
    case GEN_OTHERNAME:
        nodetls_print_othername(out, gen->d.otherName);
        return 1;
    case GEN_X400:
        BIO_printf(out, "X400Name:<unsupported>");
        return 1;
    case GEN_EDIPARTY:
        BIO_printf(out, "EdiPartyName:<unsupported>");
        return 1;
    }
    return 0;
}

static int nodetls_certinfo_subjectaltname(X509 *x, BIO *out)
{
    int index = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
    GENERAL_NAMES *names;
    int i, ok = 1;

    if (index < 0)
        return -1;
    names = X509V3_EXT_d2i(X509_get_ext(x, index));
    if (names == NULL)
        return 0;
    for (i = 0; ok && i < sk_GENERAL_NAME_num(names); i++) {
        if (i != 0)
            BIO_write(out, ", ", 2);
        ok = nodetls_print_general_name(out, sk_GENERAL_NAME_value(names, i));
    }
    GENERAL_NAMES_free(names);
    return ok;
}

static int nodetls_certinfo_info_access(X509 *x, BIO *out)
{
    int index = X509_get_ext_by_NID(x, NID_info_access, -1);
    AUTHORITY_INFO_ACCESS *descs;
    int i, ok = 1;

    if (index < 0)
        return -1;
    descs = X509V3_EXT_d2i(X509_get_ext(x, index));
    if (descs == NULL)
        return 0;
    for (i = 0; ok && i < sk_ACCESS_DESCRIPTION_num(descs); i++) {
        ACCESS_DESCRIPTION *desc = sk_ACCESS_DESCRIPTION_value(descs, i);
        char method[80];  /* Node's buffer: longer method names are truncated */
        if (i != 0)
            BIO_write(out, "\n", 1);
        i2t_ASN1_OBJECT(method, sizeof(method), desc->method);
        BIO_printf(out, "%s - ", method);
        ok = nodetls_print_general_name(out, desc->location);
    }
    AUTHORITY_INFO_ACCESS_free(descs);
    return ok;
}

/* ext_key_usage: dotted OIDs separated by '\n'; -1 if absent (or duplicated/garbled,
   which X509_get_ext_d2i reports the same way). */
static int nodetls_certinfo_ext_key_usage(X509 *x, BIO *out)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    int i, count;

    if (eku == NULL)
        return -1;
    count = sk_ASN1_OBJECT_num(eku);
    for (i = 0; i < count; i++) {
        char oid[256];
        if (i != 0)
            BIO_write(out, "\n", 1);
        if (OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1) >= 0)
            BIO_printf(out, "%s", oid);
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return count;
}

/* ---- public key ------------------------------------------------------------------- */

static int nodetls_certinfo_key_kind(X509 *x)
{
    EVP_PKEY *pkey = X509_get0_pubkey(x);
    if (pkey == NULL)
        return 0;
    switch (EVP_PKEY_get_id(pkey)) {
    case EVP_PKEY_RSA: return EVP_PKEY_get0_RSA(pkey) != NULL ? 1 : 0;
    case EVP_PKEY_EC: return EVP_PKEY_get0_EC_KEY(pkey) != NULL ? 2 : 0;
    }
    return 0;
}

static const RSA *nodetls_rsa(X509 *x)
{
    return EVP_PKEY_get0_RSA(X509_get0_pubkey(x));
}

static int nodetls_certinfo_rsa_modulus(X509 *x, BIO *out)
{
    const BIGNUM *n;
    RSA_get0_key(nodetls_rsa(x), &n, NULL, NULL);
    return BN_print(out, n);
}

static int nodetls_certinfo_rsa_bits(X509 *x)
{
    const BIGNUM *n;
    RSA_get0_key(nodetls_rsa(x), &n, NULL, NULL);
    return BN_num_bits(n);
}

static int nodetls_certinfo_rsa_exponent(X509 *x, BIO *out)
{
    const BIGNUM *e;
    /* BN_get_word: all ones when the exponent does not fit, as in Node. */
    RSA_get0_key(nodetls_rsa(x), NULL, &e, NULL);
    return BIO_printf(out, "0x%llx", (unsigned long long)(uint64_t)BN_get_word(e));
}

static int nodetls_certinfo_rsa_pubkey(X509 *x, unsigned char **out)
{
    *out = NULL;
    return i2d_RSA_PUBKEY(nodetls_rsa(x), out);
}

static const EC_KEY *nodetls_ec(X509 *x)
{
    return EVP_PKEY_get0_EC_KEY(X509_get0_pubkey(x));
}

static int nodetls_certinfo_ec_bits(X509 *x)
{
    const EC_GROUP *group = EC_KEY_get0_group(nodetls_ec(x));
    return group == NULL ? -1 : EC_GROUP_order_bits(group);
}

/* The point in the key's own conversion form (65 bytes uncompressed for P-256). */
static int nodetls_certinfo_ec_pubkey(X509 *x, unsigned char **out)
{
    const EC_KEY *ec = nodetls_ec(x);
    const EC_GROUP *group = EC_KEY_get0_group(ec);
    const EC_POINT *point = EC_KEY_get0_public_key(ec);
    point_conversion_form_t form = EC_KEY_get_conv_form(ec);
    size_t len;

    *out = NULL;
    if (group == NULL || point == NULL)
        return -1;
    len = EC_POINT_point2oct(group, point, form, NULL, 0, NULL);
    if (len == 0 || (*out = OPENSSL_malloc(len)) == NULL)
        return -1;
    return (int)EC_POINT_point2oct(group, point, form, *out, len, NULL);
}

static int nodetls_certinfo_ec_curve_nid(X509 *x)
{
    const EC_GROUP *group = EC_KEY_get0_group(nodetls_ec(x));
    return group == NULL ? 0 : EC_GROUP_get_curve_name(group);
}

static const char *nodetls_certinfo_nist_name(int nid)
{
    return EC_curve_nid2nist(nid);
}

/* ---- validity and serial ------------------------------------------------------------ */

static int nodetls_certinfo_validity(X509 *x, int not_after, BIO *out)
{
    return ASN1_TIME_print(out, not_after ? X509_get0_notAfter(x) : X509_get0_notBefore(x));
}

static char *nodetls_certinfo_serial(X509 *x)
{
    ASN1_INTEGER *serial = X509_get_serialNumber(x);
    BIGNUM *bn;
    char *hex;

    if (serial == NULL || (bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL)
        return NULL;
    hex = BN_bn2hex(bn);
    BN_free(bn);
    return hex;
}

/* ---- verification ------------------------------------------------------------------ */

#define NODETLS_VERIFY_CODE(name) { X509_V_ERR_##name, #name },
static const struct { long code; const char *name; } nodetls_verify_codes[] = {
    NODETLS_VERIFY_CODE(UNABLE_TO_GET_ISSUER_CERT)
    NODETLS_VERIFY_CODE(UNABLE_TO_GET_CRL)
    NODETLS_VERIFY_CODE(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    NODETLS_VERIFY_CODE(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    NODETLS_VERIFY_CODE(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    NODETLS_VERIFY_CODE(CERT_SIGNATURE_FAILURE)
    NODETLS_VERIFY_CODE(CRL_SIGNATURE_FAILURE)
    NODETLS_VERIFY_CODE(CERT_NOT_YET_VALID)
    NODETLS_VERIFY_CODE(CERT_HAS_EXPIRED)
    NODETLS_VERIFY_CODE(CRL_NOT_YET_VALID)
    NODETLS_VERIFY_CODE(CRL_HAS_EXPIRED)
    NODETLS_VERIFY_CODE(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    NODETLS_VERIFY_CODE(ERROR_IN_CERT_NOT_AFTER_FIELD)
    NODETLS_VERIFY_CODE(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    NODETLS_VERIFY_CODE(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    NODETLS_VERIFY_CODE(OUT_OF_MEM)
    NODETLS_VERIFY_CODE(DEPTH_ZERO_SELF_SIGNED_CERT)
    NODETLS_VERIFY_CODE(SELF_SIGNED_CERT_IN_CHAIN)
    NODETLS_VERIFY_CODE(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    NODETLS_VERIFY_CODE(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    NODETLS_VERIFY_CODE(CERT_CHAIN_TOO_LONG)
    NODETLS_VERIFY_CODE(CERT_REVOKED)
    NODETLS_VERIFY_CODE(INVALID_CA)
    NODETLS_VERIFY_CODE(PATH_LENGTH_EXCEEDED)
    NODETLS_VERIFY_CODE(INVALID_PURPOSE)
    NODETLS_VERIFY_CODE(CERT_UNTRUSTED)
    NODETLS_VERIFY_CODE(CERT_REJECTED)
    NODETLS_VERIFY_CODE(HOSTNAME_MISMATCH)
};
#undef NODETLS_VERIFY_CODE

static int nodetls_verify_code_entry(int i, long *code, const char **name)
{
    if (i < 0 || (size_t)i >= sizeof(nodetls_verify_codes) / sizeof(nodetls_verify_codes[0]))
        return 0;
    *code = nodetls_verify_codes[i].code;
    *name = nodetls_verify_codes[i].name;
    return 1;
}

/* Node's VerifyCallback accepts everything: the handshake never fails on the chain, and
   because verification then runs to the end, the result is the LAST error found (a lone
   leaf reports UNABLE_TO_VERIFY_LEAF_SIGNATURE, not UNABLE_TO_GET_ISSUER_CERT_LOCALLY). */
static int nodetls_verify_accept_all(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)preverify_ok;
    (void)ctx;
    return 1;
}

static long nodetls_verify_chain(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted,
                                 const char *purpose)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    long result = -1;

    if (ctx == NULL)
        return -1;
    /* As libssl's ssl_verify_cert_chain: the purpose's defaults, then verify. */
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1
            && X509_STORE_CTX_set_default(ctx, purpose) == 1) {
        X509_STORE_CTX_set_verify_cb(ctx, nodetls_verify_accept_all);
        X509_verify_cert(ctx);
        result = X509_STORE_CTX_get_error(ctx);
    }
    X509_STORE_CTX_free(ctx);
    return result;
}
