/* csrc/engine_io.c: the engine's hot loops (after engine.c: its slot and flags).
 *
 * Theory of operation.  nodetls_engine_receive feeds ciphertext into the read BIO and
 * runs SSL_read_ex until OpenSSL wants more input (or the buffer is full), returning the
 * SSL_get_error code; an input of 16 KiB or more is read in place instead, through a
 * read-only BIO over the caller's bytes (BIO_s_mem's write would copy it and zero-fill
 * the room first: a quarter of a bulk receiver's instructions).  nodetls_engine_write
 * pushes a whole buffer through SSL_write_ex; nodetls_engine_drain empties the write
 * BIO.  Lengths come back in the slot (io_len), so a call allocates nothing in Python.
 * Both memory BIOs give their buffer back once empty and much larger than the traffic
 * at hand (nodetls_engine_trim), and the write BIO also once the handshake's last
 * flight is sent, so an idle connection holds no I/O buffer.
 * Each clears the error queue before the calls whose errors it reports.  The slot's
 * read_progress tells a Python callback that fires in the middle of a read how many
 * plaintext bytes came before it, so events keep their order.
 */

static int nodetls_engine_feed(BIO *bio, const unsigned char *data, size_t len)
{
    while (len > 0) {
        int chunk = len > 0x40000000 ? 0x40000000 : (int)len;
        int n = BIO_write(bio, data, chunk);
        if (n <= 0)
            return 0;
        data += n;
        len -= (size_t)n;
    }
    return 1;
}

/* A memory BIO keeps the capacity of the largest burst that went through it (the
   handshake flight, the ClientHello: ~2 KiB per connection in all) for the connection's
   lifetime.  Once it is empty and at least twice as large as the latest burst, it gets a
   fresh, empty BUF_MEM (BIO_set_mem_buf frees the old one), as RELEASE_BUFFERS does for
   the record buffers.  A steady flow of similar sizes (bulk transfer) never trims, so it
   does not pay the regrowth. */
#define NODETLS_ENGINE_TRIM_MIN 256

static void nodetls_engine_trim(BIO *bio, size_t recent)
{
    BUF_MEM *bm = NULL;
    BUF_MEM *fresh;
    if (BIO_ctrl_pending(bio) != 0 || BIO_get_mem_ptr(bio, &bm) <= 0 || bm == NULL)
        return;
    if (bm->max <= NODETLS_ENGINE_TRIM_MIN || bm->max / 2 <= recent)
        return;
    fresh = BUF_MEM_new();
    if (fresh != NULL)
        BIO_set_mem_buf(bio, fresh, BIO_CLOSE);
}

/* The output that ends a handshake (a TLS 1.3 server's tickets, ~800 B after an ECDSA
   flight that left no larger buffer) is often a connection's last for a long while: once
   it is sent, the write BIO's buffer goes back however it compares with it. */
static size_t nodetls_engine_drain(SSL *ssl, unsigned char *buf, size_t cap)
{
    BIO *bio = SSL_get_wbio(ssl);
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    size_t done = 0;
    while (done < cap) {
        size_t want = cap - done;
        int n = BIO_read(bio, buf + done, want > 0x40000000 ? 0x40000000 : (int)want);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (slot != NULL && (slot->flags & NODETLS_ENGINE_SETTLING) && BIO_ctrl_pending(bio) == 0) {
        slot->flags &= ~NODETLS_ENGINE_SETTLING;
        nodetls_engine_trim(bio, 0);
    } else {
        nodetls_engine_trim(bio, done);
    }
    return done;
}

/* SSL_read into buf + *off until OpenSSL needs more input, the buffer is full (returns
   SSL_ERROR_NONE), or a Python callback failed. */
static int nodetls_engine_read_all(SSL *ssl, nodetls_engine_slot *slot, unsigned char *buf,
                                   size_t cap, size_t *off)
{
    int err = SSL_ERROR_NONE;
    while (*off < cap) {
        size_t n = 0;
        int ret;
        slot->read_progress = *off;
        ret = SSL_read_ex(ssl, buf + *off, cap - *off, &n);
        if (ret <= 0) {
            err = SSL_get_error(ssl, ret);
            break;
        }
        *off += n;
        if (slot->flags & NODETLS_ENGINE_STOP)
            break;
    }
    return err;
}

/* Inputs this large are read in place (see nodetls_engine_receive): one BIO allocation
   costs less than copying them into the memory BIO, which also zero-fills what it grows. */
#define NODETLS_ENGINE_IN_PLACE_MIN 16384

/* Read ``in`` through a read-only memory BIO over the caller's bytes, swapped in as the
   SSL's read BIO for the call; what OpenSSL did not consume (the start of a record) then
   goes into the real read BIO, and that BIO is put back.  A record split across calls is
   safe: OpenSSL keeps the part it has read in its own buffer.  Returns -2 if the view
   could not be made (the caller feeds the bytes instead), -1 if the read BIO refused the
   rest. */
static int nodetls_engine_read_in_place(SSL *ssl, nodetls_engine_slot *slot,
                                        const unsigned char *in, size_t in_len,
                                        unsigned char *buf, size_t cap, size_t *off)
{
    BIO *rbio = SSL_get_rbio(ssl);
    BIO *view = BIO_new_mem_buf(in, (int)in_len);
    size_t rest;
    int err;
    if (view == NULL || !BIO_up_ref(rbio)) {
        BIO_free(view);
        return -2;
    }
    BIO_set_mem_eof_return(view, -1);  /* empty means "more later", never EOF */
    SSL_set0_rbio(ssl, view);          /* drops the SSL's reference to rbio: ours remains */
    err = nodetls_engine_read_all(ssl, slot, buf, cap, off);
    rest = BIO_ctrl_pending(view);
    if (rest > 0 && !nodetls_engine_feed(rbio, in + in_len - rest, rest))
        err = -1;
    SSL_set0_rbio(ssl, rbio);          /* frees the view; the SSL owns our reference */
    return err;
}

/* Feed ciphertext into the read BIO, then SSL_read until OpenSSL needs more input, the
   buffer is full (returns SSL_ERROR_NONE), or a Python callback failed.  This also
   drives the handshake.  Plaintext length -> slot->io_len.  -1: the BIO refused input.
   A large input is read in place once the read BIO is empty: whatever an earlier call
   left there is read first. */
static int nodetls_engine_receive(SSL *ssl, const unsigned char *in, size_t in_len,
                                  unsigned char *buf, size_t cap)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    BIO *rbio = SSL_get_rbio(ssl);
    size_t off = 0;
    int err = SSL_ERROR_WANT_READ;
    ERR_clear_error();
    if (in_len >= NODETLS_ENGINE_IN_PLACE_MIN && in_len <= 0x40000000) {
        if (BIO_ctrl_pending(rbio) > 0)
            err = nodetls_engine_read_all(ssl, slot, buf, cap, &off);
        if (err == SSL_ERROR_WANT_READ && off < cap && !(slot->flags & NODETLS_ENGINE_STOP)
                && BIO_ctrl_pending(rbio) == 0) {
            err = nodetls_engine_read_in_place(ssl, slot, in, in_len, buf, cap, &off);
            if (err != -2) {
                slot->read_progress = 0;
                slot->io_len = off;
                return err;
            }
        }
        /* Not read in place: the bytes join the read BIO, and reading goes on. */
        if (!nodetls_engine_feed(rbio, in, in_len))
            return -1;
        if (err == SSL_ERROR_WANT_READ || err == -2)
            err = nodetls_engine_read_all(ssl, slot, buf, cap, &off);
    } else {
        if (in_len > 0 && !nodetls_engine_feed(rbio, in, in_len))
            return -1;
        err = nodetls_engine_read_all(ssl, slot, buf, cap, &off);
    }
    nodetls_engine_trim(rbio, in_len);
    slot->read_progress = 0;
    slot->io_len = off;
    return err;
}

/* SSL_write a whole buffer (partial writes are looped here, not in Python); the
   number of bytes OpenSSL took -> slot->io_len. */
static int nodetls_engine_write(SSL *ssl, const unsigned char *buf, size_t len)
{
    nodetls_engine_slot *slot = nodetls_engine_slot_of(ssl);
    size_t off = 0;
    int err = SSL_ERROR_NONE;
    ERR_clear_error();
    while (off < len) {
        size_t n = 0;
        int ret = SSL_write_ex(ssl, buf + off, len - off, &n);
        if (ret <= 0) {
            err = SSL_get_error(ssl, ret);
            break;
        }
        off += n;
    }
    slot->io_len = off;
    return err;
}
